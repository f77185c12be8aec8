"""Elixir biosensing: SpO2 tests, sleep skin temperature and body temperature, per seed and date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .sleepwise import usual_night, utc_text

if TYPE_CHECKING:
    import random

    from .state import User

BASELINE_SKIN_C = 34.2
MS_PER_MINUTE = 60_000


def device_id(user: User) -> str:
    """Return the user's device id (as in exercises and sleep)."""
    return f"{(user.user_id * 2654435761) & 0xFFFFFFFF:08X}"


def _deviation(label: float) -> str:
    """Return the deviation class of a value against the usual (in standard deviations)."""
    if label < -1:
        return "DEVIATION_BELOW_USUAL"
    if label > 1:
        return "DEVIATION_ABOVE_USUAL"
    return "DEVIATION_USUAL"


def generate_spo2(rng: random.Random, user: User, day: date) -> dict[str, Any]:
    """Return an SpO2 test the user took in the morning of day."""
    local_morning = datetime(day.year, day.month, day.day, 7, rng.randint(10, 50), tzinfo=UTC)
    taken = local_morning - timedelta(minutes=user.utc_offset_minutes)
    percent = rng.choice((95, 96, 96, 97, 97, 98, 98, 99))
    hr = 48 + user.user_id % 15 + rng.randint(4, 14)
    return {
        "source_device_id": device_id(user),
        "test_time": int(taken.timestamp()),
        "time_zone_offset": user.utc_offset_minutes,
        "test_status": "SPO2_TEST_PASSED",
        "blood_oxygen_percent": percent,
        "spo2_class": "SPO2_CLASS_NORMAL" if percent >= 95 else "SPO2_CLASS_LOW",
        "spo2_value_deviation_from_baseline": _deviation(rng.uniform(-1.5, 1.5)),
        "spo2_quality_average_percent": round(rng.uniform(80, 99), 1),
        "average_heart_rate_bpm": hr,
        "heart_rate_variability_ms": round(rng.uniform(25, 75), 1),
        "spo2_hrv_deviation_from_baseline": _deviation(rng.uniform(-1.5, 1.5)),
        "altitude_meters": round(rng.uniform(5, 60), 1),
    }


def generate_skin_temperature(rng: random.Random, day: date) -> dict[str, Any]:
    """Return the sleep-time skin temperature of the night ending on day."""
    deviation = round(rng.gauss(0.0, 0.35), 2)
    return {
        "sleep_time_skin_temperature_celsius": round(BASELINE_SKIN_C + deviation, 2),
        "deviation_from_baseline_celsius": deviation,
        "sleep_date": day.isoformat(),
    }


def generate_body_temperature(rng: random.Random, user: User, day: date) -> dict[str, Any]:
    """Return the core temperature period of the night ending on day, a sample a minute."""
    start, end = usual_night(rng, user, day)
    minutes = int((end - start).total_seconds() // 60)
    core = rng.uniform(36.4, 36.9)
    samples = [
        {
            # the core temperature falls about half a degree towards the early morning
            "temperature_celsius": round(core - 0.5 * min(i, minutes - i) / minutes, 2),
            "recording_time_delta_milliseconds": i * MS_PER_MINUTE,
        }
        for i in range(0, minutes, 5)
    ]
    return {
        "source_device_id": device_id(user),
        "measurement_type": "TM_CORE_TEMPERATURE",
        "sensor_location": "SL_PROXIMAL",
        "start_time": utc_text(start),
        "end_time": utc_text(end),
        "modified_time": utc_text(end),
        "samples": samples,
    }
