"""SleepWise alertness and circadian bedtime periods, generated per seed, user and date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

    from .state import User

GRADE_CLASSES = (
    (3.0, "GRADE_CLASSIFICATION_WEAK"),
    (5.5, "GRADE_CLASSIFICATION_FAIR"),
    (8.0, "GRADE_CLASSIFICATION_STRONG"),
)
LEVELS = (
    "ALERTNESS_LEVEL_MINIMAL",
    "ALERTNESS_LEVEL_VERY_LOW",
    "ALERTNESS_LEVEL_LOW",
    "ALERTNESS_LEVEL_HIGH",
    "ALERTNESS_LEVEL_VERY_HIGH",
)
AWAKE_HOURS = 16


def utc_text(moment: datetime) -> str:
    """Format a UTC time the way SleepWise does: no offset, whole seconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def usual_night(rng: random.Random, user: User, day: date) -> tuple[datetime, datetime]:
    """Return (start, end) in UTC of a night ending on day, from about 23:00 to 07:00 local."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    local_midnight = midnight - timedelta(minutes=user.utc_offset_minutes)
    start = local_midnight - timedelta(minutes=rng.randint(20, 110))
    return start, start + timedelta(minutes=rng.randint(400, 500))


def grade_classification(grade: float) -> str:
    """Return the classification of an alertness grade (1-10)."""
    for limit, label in GRADE_CLASSES:
        if grade < limit:
            return label
    return "GRADE_CLASSIFICATION_EXCELLENT"


def generate_alertness(
    rng: random.Random, user: User, day: date, night: tuple[datetime, datetime] | None = None
) -> dict[str, Any]:
    """Return the alertness period after the night ending on day (the recorded night if given)."""
    drawn = usual_night(rng, user, day)
    start, end = night or drawn
    slept_hours = (end - start).total_seconds() / 3600
    grade = round(max(1.0, min(10.0, slept_hours + rng.uniform(-1.5, 1.5))), 1)
    period_end = end + timedelta(hours=AWAKE_HOURS)
    hourly = []
    hour = end
    while hour < period_end:
        nxt = min(period_end, hour.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        since_wake = (hour - end).total_seconds() / 3600
        # sleep inertia in the first hour, a dip in the afternoon, tiredness in the evening
        shape = 1 if since_wake < 1 else 2 if 6 <= since_wake < 8 or since_wake >= 14 else 3
        level = max(0, min(4, shape + round((grade - 6) / 3) + rng.choice((0, 0, 1, -1))))
        hourly.append(
            {
                "validity": "VALIDITY_VALID",
                "alertness_level": LEVELS[level],
                "start_time": utc_text(hour),
                "end_time": utc_text(nxt),
            }
        )
        hour = nxt
    return {
        "grade": grade,
        "grade_validity_seconds": AWAKE_HOURS * 3600,
        "grade_type": "GRADE_TYPE_PRIMARY",
        "grade_classification": grade_classification(grade),
        "validity": "VALIDITY_VALID",
        "sleep_inertia": rng.choice(
            ("SLEEP_INERTIA_NO_INERTIA", "SLEEP_INERTIA_MILD", "SLEEP_INERTIA_MODERATE")
        ),
        "sleep_type": "SLEEP_TYPE_PRIMARY",
        "result_type": "ALERTNESS_TYPE_HISTORY",
        "period_start_time": utc_text(start),
        "period_end_time": utc_text(period_end),
        "sleep_period_start_time": utc_text(start),
        "sleep_period_end_time": utc_text(end),
        "sleep_timezone_offset_minutes": user.utc_offset_minutes,
        "hourly_data": hourly,
    }


def generate_bedtime(rng: random.Random, user: User, day: date) -> dict[str, Any]:
    """Return the circadian bedtime predicted for the night starting on the evening of day."""
    start, end = usual_night(rng, user, day + timedelta(days=1))
    gate_start = start - timedelta(minutes=rng.randint(5, 25))
    return {
        "validity": "VALIDITY_VALID",
        "quality": rng.choice(
            ("CIRCADIAN_BEDTIME_QUALITY_CLEARLY_RECOGNIZABLE", "CIRCADIAN_BEDTIME_QUALITY_WEAK")
        ),
        "result_type": "CIRCADIAN_BEDTIME_TYPE_PREDICTION",
        "period_start_time": utc_text(start),
        "period_end_time": utc_text(end),
        "preferred_sleep_period_start_time": utc_text(start),
        "preferred_sleep_period_end_time": utc_text(end),
        "sleep_gate_start_time": utc_text(gate_start),
        "sleep_gate_end_time": utc_text(gate_start + timedelta(minutes=30)),
        "sleep_timezone_offset_minutes": user.utc_offset_minutes,
    }
