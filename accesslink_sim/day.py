"""A simulated day of one account: every kind of data recorded, each with its notice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .data import generate_activity, iso_duration, parse_iso_duration, rng_for

if TYPE_CHECKING:
    from .core import Simulator

ACTIVITY_SYNCS = (0.35, 0.7, 1.0)  # share of the day's activity each phone sync has seen
WEIGHT_CHANGE = -0.4


def partial_activity(full: dict[str, Any], share: float) -> dict[str, Any]:
    """Return the fields of a day's activity as a sync that has seen share of it reports them."""
    if share >= 1:
        return {}
    active = parse_iso_duration(str(full["active_duration"])) or 0.0
    bmr = full["calories"] - full["active_calories"]
    active_calories = round(full["active_calories"] * share)
    steps = round(full["steps"] * share)
    samples = _partial_samples(full["samples"], steps)
    return {
        "steps": steps,
        "active_calories": active_calories,
        "calories": round(bmr * share) + active_calories,
        "active_duration": iso_duration(round(active * share)),
        "distance_from_steps": round(full["distance_from_steps"] * share, 2),
        "daily_activity": round(full["daily_activity"] * share, 1),
        "inactivity_alert_count": len(samples["inactivity_stamps"]),
        "samples": samples,
    }


def _partial_samples(samples: dict[str, Any], steps: int) -> dict[str, Any]:
    """Return a day's samples cut where the steps so far reach steps."""
    hourly: list[dict[str, Any]] = []
    left = steps
    for sample in samples["steps"]["samples"]:
        if left <= 0:
            break
        hourly.append({**sample, "steps": min(sample["steps"], left)})
        left -= hourly[-1]["steps"]
    until = hourly[-1]["timestamp"] if hourly else ""
    return {
        **samples,
        "steps": {**samples["steps"], "total_steps": steps, "samples": hourly},
        "activity_zones": {
            "samples": [z for z in samples["activity_zones"]["samples"] if z["timestamp"] <= until]
        },
        "inactivity_stamps": [s for s in samples["inactivity_stamps"] if s["stamp"] <= until],
    }


def simulate_day(
    sim: Simulator, user_id: int, day: object | None = None, weight: float | None = None
) -> dict[str, Any]:
    """Record a night, SleepWise, activity syncs, a workout, heart rate and a weight change."""
    user = sim.user(user_id)
    the_day = sim.parse_day(day)
    iso = the_day.isoformat()
    out: dict[str, Any] = {"date": iso, "notices": []}
    out["sleep"], notice = sim.record_day("sleep", user_id, iso)
    out["notices"].append(notice)
    if user.sleepwise:
        alertness, bedtime, notices = sim.record_sleepwise(user_id, iso)
        out["sleepwise"] = {"alertness": alertness, "circadian_bedtime": bedtime}
        out["notices"].extend(notices)
    rng = rng_for(sim.config.seed, user_id, "activity", iso)
    full = generate_activity(rng, user, the_day)
    out["activity"] = []
    for i, share in enumerate(ACTIVITY_SYNCS):
        if i == 1:
            exercise, notice = sim.finish_workout(user_id)
            out["exercise"] = exercise.summary
            out["notices"].append(notice)
        doc, notice = sim.record_day("activity", user_id, iso, partial_activity(full, share))
        out["activity"].append(doc)
        out["notices"].append(notice)
    out["heart_rate"], notice = sim.record_day("chr", user_id, iso)
    out["notices"].append(notice)
    new_weight = round(user.weight + WEIGHT_CHANGE, 1) if weight is None else weight
    sim.update_user(user_id, {"weight": new_weight})
    out["physical"], notice = sim.record_day("physical", user_id, iso)
    out["notices"].append(notice)
    if user.biosensing:
        out["biosensing"] = sim.record_biosensing(user_id, iso)
    return out
