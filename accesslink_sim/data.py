"""Deterministic, physiologically plausible training and daily data for simulated users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
import math
import random
import re
import string
from typing import TYPE_CHECKING, Any

from .clock import iso_z

if TYPE_CHECKING:
    from .state import User

ALNUM = string.ascii_letters + string.digits
BASE_LAT, BASE_LON = 60.1699, 24.9384


@dataclass(frozen=True, slots=True)
class Sport:
    """How a sport looks: speed, intensity, length, and whether it has a route."""

    sport: str
    detailed: str
    speed: tuple[float, float] | None
    intensity: tuple[float, float]
    minutes: tuple[int, int]
    has_route: bool


SPORTS: dict[str, Sport] = {
    s.sport: s
    for s in (
        Sport("RUNNING", "RUNNING", (2.6, 4.2), (0.72, 0.88), (20, 90), True),
        Sport("CYCLING", "ROAD_BIKING", (5.5, 9.0), (0.62, 0.80), (30, 180), True),
        Sport("WALKING", "WALKING", (1.2, 1.7), (0.50, 0.64), (20, 90), True),
        Sport("SWIMMING", "POOL_SWIMMING", (0.6, 1.0), (0.65, 0.80), (20, 60), False),
        Sport("STRENGTH_TRAINING", "STRENGTH_TRAINING", None, (0.55, 0.70), (30, 75), False),
        Sport("OTHER", "OTHER_INDOOR", None, (0.55, 0.75), (20, 60), False),
    )
}
SPORT_WEIGHTS = {"RUNNING": 5, "CYCLING": 3, "WALKING": 3, "SWIMMING": 1, "STRENGTH_TRAINING": 2}
DEVICES = ("Polar Vantage V3", "Polar Grit X2 Pro", "Polar Pacer Pro", "Polar Ignite 3")

ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def iso_duration(seconds: float) -> str:
    """Format seconds as an ISO-8601 duration the way Polar does (PT1H2M3.5S)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = rest / 1000
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs:g}S"
    return out


def parse_iso_duration(text: str) -> float | None:
    """Parse an ISO-8601 duration into seconds; None when it is not one."""
    match = ISO_DURATION.match(text)
    if not match or text in {"P", "PT"}:
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def rng_for(seed: int, user_id: int, kind: str, key: str | int) -> random.Random:
    """Return the random stream of one generated item, independent of creation order."""
    return random.Random(f"{seed}:{user_id}:{kind}:{key}")  # noqa: S311


def new_hash_id(rng: random.Random, length: int = 8) -> str:
    """Return an id shaped like Polar's hashed ids."""
    return "".join(rng.choice(ALNUM) for _ in range(length))


def age_of(user: User, today: date) -> int:
    """Return the user's age in whole years (40 if the birthdate is unusable)."""
    try:
        born = date.fromisoformat(user.birthdate)
    except ValueError:
        return 40
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def max_hr(user: User, today: date) -> int:
    """Return the user's maximum heart rate estimate."""
    return round(208 - 0.7 * age_of(user, today))


def resting_hr(user: User) -> int:
    """Return a stable resting heart rate for the user."""
    return 48 + user.user_id % 15


def kcal_per_minute(user: User, hr: float, today: date) -> float:
    """Return energy expenditure from heart rate (Keytel et al. 2005)."""
    age, weight = age_of(user, today), user.weight
    if user.gender == "FEMALE":
        value = (-20.4022 + 0.4472 * hr - 0.1263 * weight + 0.074 * age) / 4.184
    else:
        value = (-55.0969 + 0.6309 * hr + 0.1988 * weight + 0.2017 * age) / 4.184
    return max(value, 1.2)


def trimp(minutes: float, hr_avg: float, hr_rest: float, hr_max: float) -> float:
    """Return Banister's training impulse."""
    reserve = max(0.0, min(1.0, (hr_avg - hr_rest) / max(1.0, hr_max - hr_rest)))
    return minutes * reserve * 0.64 * math.exp(1.92 * reserve)


def pick_sport(rng: random.Random) -> str:
    """Choose a sport by typical frequency."""
    names = list(SPORT_WEIGHTS)
    return rng.choices(names, weights=[SPORT_WEIGHTS[n] for n in names])[0]


def load_interpretation(load: float) -> str:
    """Return Polar's verbal load class for a training load."""
    for limit, label in ((25, "VERY_LOW"), (60, "LOW"), (120, "MEDIUM"), (200, "HIGH")):
        if load < limit:
            return label
    return "VERY_HIGH"


def workout_end(summary: dict[str, Any]) -> float | None:
    """Return when an exercise ended (UTC seconds), or None when its fields do not tell."""
    try:
        local = datetime.fromisoformat(str(summary["start_time"])).replace(tzinfo=UTC)
        offset = int(summary.get("start_time_utc_offset", 0))
    except KeyError, TypeError, ValueError:
        return None
    duration = parse_iso_duration(str(summary.get("duration", "")))
    if duration is None:
        return None
    return local.timestamp() - offset * 60 + duration


def generate_exercise(
    rng: random.Random,
    user: User,
    exercise_id: str,
    now: float,
    base_url: str,
    *,
    sport: str | None = None,
    duration_s: float | None = None,
    distance_m: float | None = None,
    not_before: float | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (summary, samples, zones, route) of a workout that has just ended.

    It ends now, unless it would then start before not_before (the end of the user's previous
    workout): then it starts there, so a person's workouts follow each other.
    """
    sport = sport or pick_sport(rng)
    spec = SPORTS.get(sport, SPORTS["OTHER"])
    today = datetime.fromtimestamp(now, UTC).date()
    hr_max, hr_rest = max_hr(user, today), resting_hr(user)
    if duration_s is None:
        duration_s = float(rng.randint(spec.minutes[0] * 60, spec.minutes[1] * 60))
        duration_s += rng.choice((0.0, 0.5, 0.25))
    duration_s = max(1.0, duration_s)
    minutes = duration_s / 60
    intensity = rng.uniform(*spec.intensity)
    hr_avg = round(hr_rest + intensity * (hr_max - hr_rest))
    hr_peak = min(hr_max, hr_avg + rng.randint(8, 22))
    if distance_m is None and spec.speed is not None:
        distance_m = round(duration_s * rng.uniform(*spec.speed), 1)
    calories = round(kcal_per_minute(user, hr_avg, today) * minutes)
    load = round(trimp(minutes, hr_avg, hr_rest, hr_max), 2)
    fat = round(max(10.0, 75 - 60 * intensity + rng.uniform(-4, 4)))
    protein = rng.randint(1, 3)
    start_utc = now - duration_s
    if not_before is not None:
        start_utc = max(start_utc, not_before)
    offset = user.utc_offset_minutes
    start_local = datetime.fromtimestamp(start_utc, UTC) + timedelta(minutes=offset)
    summary: dict[str, Any] = {
        "id": exercise_id,
        "upload_time": iso_z(now, millis=True),
        "polar_user": f"{base_url}/v3/users/{user.user_id}",
        "device": DEVICES[user.user_id % len(DEVICES)],
        "device_id": f"{(user.user_id * 2654435761) & 0xFFFFFFFF:08X}",
        "start_time": start_local.replace(tzinfo=None).isoformat(timespec="seconds"),
        "start_time_utc_offset": offset,
        "duration": iso_duration(duration_s),
        "calories": calories,
        "heart_rate": {"average": hr_avg, "maximum": hr_peak},
        "training_load": load,
        "sport": spec.sport if sport in SPORTS else sport,
        "has_route": spec.has_route,
        "detailed_sport_info": spec.detailed,
        "fat_percentage": fat,
        "carbohydrate_percentage": 100 - fat - protein,
        "protein_percentage": protein,
        "training_load_pro": {
            "date": start_local.date().isoformat(),
            "cardio-load": load,
            "cardio-load-interpretation": load_interpretation(load),
            "user-rpe": "UNKNOWN",
        },
    }
    if distance_m is not None:
        summary["distance"] = distance_m
    if spec.sport == "RUNNING":
        summary["running-index"] = rng.randint(38, 62)
    samples = make_samples(
        rng, duration_s, hr_avg=hr_avg, hr_peak=hr_peak, hr_rest=hr_rest, distance_m=distance_m
    )
    zones = make_zones(duration_s, hr_avg, hr_max)
    route = make_route(rng, duration_s, distance_m) if spec.has_route else []
    return summary, samples, zones, route


def make_samples(
    rng: random.Random,
    duration_s: float,
    *,
    hr_avg: int,
    hr_peak: int,
    hr_rest: int,
    distance_m: float | None,
) -> list[dict[str, Any]]:
    """Return heart rate (and speed and distance) samples every 5 seconds."""
    n = max(2, min(int(duration_s // 5), 4000))
    hrs: list[int] = []
    for i in range(n):
        warm = min(1.0, i / max(1, n // 10))
        value = hr_rest + (hr_avg - hr_rest) * warm + rng.uniform(-4, 4)
        hrs.append(round(min(hr_peak, max(hr_rest, value))))
    samples = [{"recording-rate": 5, "sample-type": "0", "data": ",".join(map(str, hrs))}]
    if distance_m:
        speed = distance_m / duration_s * 3.6
        speeds = [round(max(0.0, speed + rng.uniform(-0.6, 0.6)), 1) for _ in range(n)]
        dist = [round(distance_m * (i + 1) / n, 1) for i in range(n)]
        samples.append(
            {"recording-rate": 5, "sample-type": "1", "data": ",".join(map(str, speeds))}
        )
        samples.append({"recording-rate": 5, "sample-type": "10", "data": ",".join(map(str, dist))})
    return samples


def make_zones(duration_s: float, hr_avg: int, hr_max: int) -> list[dict[str, Any]]:
    """Return five heart rate zones whose times add up to the duration."""
    limits = [round(hr_max * f) for f in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
    centre = min(4, max(0, int((hr_avg / hr_max - 0.5) * 10)))
    weights = [math.exp(-((i - centre) ** 2)) for i in range(5)]
    total = sum(weights)
    return [
        {
            "index": i + 1,
            "lower-limit": limits[i],
            "upper-limit": limits[i + 1],
            "in-zone": iso_duration(round(duration_s * weights[i] / total)),
        }
        for i in range(5)
    ]


def make_route(
    rng: random.Random, duration_s: float, distance_m: float | None
) -> list[dict[str, Any]]:
    """Return a loop route with points every 10 seconds (at most 1000 points)."""
    n = max(2, min(int(duration_s // 10), 1000))
    radius = (distance_m or 1000.0) / (2 * math.pi) / 111_320
    route = []
    for i in range(n):
        angle = 2 * math.pi * i / (n - 1)
        route.append(
            {
                "latitude": round(BASE_LAT + radius * math.sin(angle), 8),
                "longitude": round(
                    BASE_LON + radius * (1 - math.cos(angle)) / math.cos(math.radians(BASE_LAT)),
                    8,
                ),
                "time": iso_duration(i * duration_s / (n - 1)),
                "satellites": rng.randint(8, 20),
                "fix": 3,
            }
        )
    return route


def _local(ts: float, offset_minutes: int) -> datetime:
    """Return an aware datetime in a fixed offset."""
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset_minutes)))


USUAL_SLEEP_SCORE = 76  # the "usual level of the past 28 days" sleep charge compares with


def sleep_charge(score: int) -> int:
    """Return the sleep charge (1-5): the sleep score against the usual level."""
    return max(1, min(5, 3 + round((score - USUAL_SLEEP_SCORE) / 8)))


def recharge_status(ans_charge_status: int, charge: int) -> int:
    """Return the Nightly Recharge status (1-6) from the ANS charge and sleep charge statuses."""
    return max(1, min(6, round((ans_charge_status + charge) * 0.6)))


def _int_in(value: object, low: int, high: int) -> bool:
    """Tell whether a JSON value is an integer within [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def generate_sleep(
    rng: random.Random,
    user: User,
    day: date,
    base_url: str,
    fields: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (sleep, nightly recharge) documents of the night ending on day.

    fields override sleep values; what derives from them (sleep charge from the score,
    continuity class from continuity, the recharge status from the sleep charge) follows
    unless fields set it too. The random draws never depend on fields, so a night recorded
    again with other fields is the same night, rescored.
    """
    fields = fields or {}
    offset = user.utc_offset_minutes
    tz_midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(minutes=offset)
    start = tz_midnight.timestamp() - rng.randint(30, 150) * 60
    total = rng.randint(390, 510) * 60
    end = start + total
    awake = rng.randint(10, 45) * 60
    asleep = total - awake
    deep = round(asleep * rng.uniform(0.13, 0.22))
    rem = round(asleep * rng.uniform(0.18, 0.26))
    unrecognized = rng.randint(0, 10) * 60
    light = asleep - deep - rem - unrecognized
    short_int = round(awake * rng.uniform(0.3, 0.6))
    continuity = round(max(1.0, min(5.0, 5.0 - awake / 900 + rng.uniform(-0.4, 0.4))), 1)
    duration_score = round(min(100.0, 100 * asleep / 28800), 1)
    solidity_score = round(max(0.0, min(100.0, continuity * 20 + rng.uniform(-8, 8))), 1)
    regeneration_score = round(rng.uniform(40, 95), 1)
    score = round((duration_score + solidity_score + regeneration_score) / 3 + rng.uniform(-3, 3))
    hypnogram: dict[str, int] = {}
    hr_samples: dict[str, int] = {}
    hr_rest = resting_hr(user)
    t = start
    while t < end:
        clock = _local(t, offset).strftime("%H:%M")
        hypnogram.setdefault(clock, rng.choice((0, 1, 2, 3, 3, 4)))
        t += rng.randint(8, 40) * 60
    t = start
    while t < end:
        hr_samples[_local(t, offset).strftime("%H:%M")] = hr_rest + rng.randint(-3, 8)
        t += 300
    sleep: dict[str, Any] = {
        "polar_user": f"{base_url}/v3/users/{user.user_id}",
        "date": day.isoformat(),
        "sleep_start_time": _local(start, offset).isoformat(timespec="seconds"),
        "sleep_end_time": _local(end, offset).isoformat(timespec="seconds"),
        "device_id": f"{(user.user_id * 2654435761) & 0xFFFFFFFF:08X}",
        "continuity": continuity,
        "continuity_class": max(1, min(5, round(continuity))),
        "light_sleep": light,
        "deep_sleep": deep,
        "rem_sleep": rem,
        "unrecognized_sleep_stage": unrecognized,
        "sleep_score": max(1, min(100, score)),
        "total_interruption_duration": awake,
        "sleep_charge": 3,
        "sleep_goal": 28800,
        "sleep_rating": 0,
        "short_interruption_duration": short_int,
        "long_interruption_duration": awake - short_int,
        "sleep_cycles": max(3, round(asleep / 5400)),
        "group_duration_score": duration_score,
        "group_solidity_score": solidity_score,
        "group_regeneration_score": regeneration_score,
        "hypnogram": hypnogram,
        "heart_rate_samples": hr_samples,
    }
    sleep.update(fields)
    if "sleep_charge" not in fields and _int_in(sleep["sleep_score"], 1, 100):
        sleep["sleep_charge"] = sleep_charge(sleep["sleep_score"])
    if "continuity_class" not in fields and isinstance(sleep["continuity"], int | float):
        sleep["continuity_class"] = max(1, min(5, round(sleep["continuity"])))
    charge = sleep["sleep_charge"] if _int_in(sleep["sleep_charge"], 1, 5) else 3
    return sleep, _recharge(rng, user, day, base_url, night=(start, end), charge=charge)


def _recharge(
    rng: random.Random,
    user: User,
    day: date,
    base_url: str,
    *,
    night: tuple[float, float],
    charge: int,
) -> dict[str, Any]:
    """Return the Nightly Recharge of a night (start, end) with a sleep charge."""
    start, end = night
    offset = user.utc_offset_minutes
    hr_avg = resting_hr(user) + rng.randint(0, 6)
    ans = round(rng.uniform(-6, 6), 1)
    hrv = rng.randint(25, 75)
    breathing = round(rng.uniform(12.5, 16.5), 1)
    hrv_samples: dict[str, int] = {}
    breathing_samples: dict[str, float] = {}
    t = start
    while t < min(end, start + 4 * 3600):
        key = _local(t, offset).strftime("%H:%M")
        hrv_samples[key] = max(5, hrv + rng.randint(-8, 8))
        breathing_samples[key] = round(breathing + rng.uniform(-0.6, 0.6), 1)
        t += 300
    ans_status = max(1, min(5, round(ans / 3) + 3))
    return {
        "polar_user": f"{base_url}/v3/users/{user.user_id}",
        "date": day.isoformat(),
        "heart_rate_avg": hr_avg,
        "beat_to_beat_avg": round(60000 / hr_avg),
        "heart_rate_variability_avg": hrv,
        "breathing_rate_avg": breathing,
        "nightly_recharge_status": recharge_status(ans_status, charge),
        "ans_charge": ans,
        "ans_charge_status": ans_status,
        "hrv_samples": hrv_samples,
        "breathing_samples": breathing_samples,
    }


def generate_activity(rng: random.Random, user: User, day: date) -> dict[str, Any]:
    """Return a daily activity summary with its step, zone and inactivity samples."""
    steps = rng.randint(3500, 16000)
    active_minutes = round(steps / 110 + rng.randint(10, 60))
    bmr = round(10 * user.weight + 6.25 * user.height - 5 * age_of(user, day) + 5)
    active_calories = round(steps * 0.04 * user.weight / 70 + active_minutes * 2)
    step_samples = []
    remaining = steps
    for hour in range(7, 22):
        share = remaining if hour == 21 else round(steps / 15 * rng.uniform(0.3, 1.7))
        share = min(share, remaining)
        remaining -= share
        step_samples.append({"steps": share, "timestamp": f"{day.isoformat()}T{hour:02d}:00"})
    zone_samples = [
        {"zone": "SLEEP", "timestamp": f"{day.isoformat()}T00:00:00"},
        {"zone": "SEDENTARY", "timestamp": f"{day.isoformat()}T07:00:00"},
        {"zone": "LIGHT", "timestamp": f"{day.isoformat()}T08:00:00"},
        {"zone": "MODERATE", "timestamp": f"{day.isoformat()}T17:30:00"},
        {"zone": "VIGOROUS", "timestamp": f"{day.isoformat()}T18:10:00"},
        {"zone": "SEDENTARY", "timestamp": f"{day.isoformat()}T18:40:00"},
    ]
    alerts = rng.randint(0, 3)
    return {
        "start_time": f"{day.isoformat()}T00:00:00",
        "end_time": f"{day.isoformat()}T23:59:59",
        "active_duration": iso_duration(active_minutes * 60),
        "inactive_duration": iso_duration((24 * 60 - active_minutes - 450) * 60),
        "daily_activity": round(min(150.0, steps / 100 + rng.uniform(-5, 5)), 1),
        "calories": bmr + active_calories,
        "active_calories": active_calories,
        "steps": steps,
        "inactivity_alert_count": alerts,
        "distance_from_steps": round(steps * user.height * 0.00415, 2),
        "samples": {
            "date": day.isoformat(),
            "steps": {"interval_ms": 3600000, "total_steps": steps, "samples": step_samples},
            "activity_zones": {"samples": zone_samples},
            "inactivity_stamps": [
                {"stamp": f"{day.isoformat()}T{10 + 2 * i:02d}:04"} for i in range(alerts)
            ],
        },
    }


def generate_chr(rng: random.Random, user: User, day: date, base_url: str) -> dict[str, Any]:
    """Return a day of continuous heart rate, one sample every 5 minutes."""
    rest = resting_hr(user)
    samples = []
    for i in range(288):
        hour = i / 12
        awake = 7 <= hour < 23
        value = rest + (rng.randint(12, 35) if awake else rng.randint(-3, 6))
        samples.append({"heart_rate": value, "sample_time": f"{i // 12:02d}:{i % 12 * 5:02d}:08"})
    return {
        "polar_user": f"{base_url}/v3/users/{user.user_id}",
        "date": day.isoformat(),
        "heart_rate_samples": samples,
    }


def generate_physical(rng: random.Random, user: User, now: float) -> dict[str, Any]:
    """Return the user's physical information."""
    today = datetime.fromtimestamp(now, UTC).date()
    hr_max, rest = max_hr(user, today), resting_hr(user)
    stamp = iso_z(now)
    return {
        "weight": user.weight,
        "height": user.height,
        "created": stamp,
        "modified": stamp,
        "birthday": user.birthdate,
        "gender": user.gender,
        "maximum_heart_rate": hr_max,
        "resting_heart_rate": rest,
        "aerobic_threshold": round(hr_max * 0.7),
        "anaerobic_threshold": round(hr_max * 0.85),
        "vo2_max": rng.randint(38, 58),
        "weight_source": "SOURCE_USER",
        "training_background": "REGULAR",
        "typical_day": "MOSTLY_SITTING",
        "sleep_goal": "PT8H",
    }


def cardio_load_days(loads: dict[str, float], first: date, last: date) -> list[dict[str, Any]]:
    """Return one cardio-load document per day from daily training loads (TRIMP)."""
    out = []
    day = first
    while day <= last:
        week = [loads.get((day - timedelta(days=i)).isoformat(), 0.0) for i in range(7)]
        month = [loads.get((day - timedelta(days=i)).isoformat(), 0.0) for i in range(28)]
        strain, tolerance = sum(week) / 7, sum(month) / 28
        load = loads.get(day.isoformat(), 0.0)
        doc: dict[str, Any] = {"date": day.isoformat()}
        if tolerance <= 0:
            doc["cardio_load_status"] = "LOAD_STATUS_NOT_AVAILABLE"
            doc.update(cardio_load=load, strain=0.0, tolerance=0.0, cardio_load_ratio=0.0)
        else:
            ratio = strain / tolerance
            doc["cardio_load_status"] = (
                "DETRAINING"
                if ratio < 0.8
                else "MAINTAINING"
                if ratio < 1.0
                else "PRODUCTIVE"
                if ratio < 1.5
                else "OVERREACHING"
            )
            doc.update(
                cardio_load=round(load, 1),
                strain=round(strain, 1),
                tolerance=round(tolerance, 1),
                cardio_load_ratio=round(ratio, 2),
            )
        doc["cardio_load_level"] = {
            "very_low": 25.0,
            "low": 60.0,
            "medium": 120.0,
            "high": 200.0,
            "very-high": 300.0,
        }
        out.append(doc)
        day += timedelta(days=1)
    return out
