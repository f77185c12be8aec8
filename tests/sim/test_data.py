"""Data endpoints: visibility rules, flags, files, plausibility and determinism."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import gzip
import itertools
from typing import Any

import pytest

from accesslink_sim.data import parse_iso_duration
from accesslink_sim.exports import fit_crc

from .openapi import validate
from .util import Sim, World, running_sim


async def _get(sim: Sim, world: World, path: str, status: int = 200) -> Any:
    """GET an API path with the world's token."""
    async with sim.session.get(sim.url + path, headers=world.bearer) as resp:
        assert resp.status == status, await resp.text()
        if resp.content_type == "application/json":
            return await resp.json()
        return await resp.read()


async def test_exercises_list_and_flags(sim: Sim) -> None:
    world = await sim.world()
    made = await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/exercises", {"sport": "RUNNING", "push": False}
    )
    exercise_id = made["exercise"]["id"]
    listed = await _get(sim, world, "/v3/exercises")
    assert [e["id"] for e in listed] == [exercise_id]
    assert "samples" not in listed[0]
    one = await _get(sim, world, f"/v3/exercises/{exercise_id}?samples=true&zones=true&route=true")
    assert one["samples"][0]["sample-type"] == "0"
    assert len(one["heart_rate_zones"]) == 5
    assert one["route"]
    await _get(sim, world, "/v3/exercises/nope", 404)
    await _get(sim, world, f"/v3/exercises/{exercise_id}?samples=maybe", 400)


async def test_exercise_fields_follow_notes(sim: Sim) -> None:
    world = await sim.world()
    made = await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"sport": "RUNNING"})
    ex = made["exercise"]
    for key in (
        "id", "upload_time", "polar_user", "device", "device_id", "start_time",
        "start_time_utc_offset", "duration", "calories", "distance", "heart_rate",
        "training_load", "sport", "detailed_sport_info", "has_route", "fat_percentage",
        "carbohydrate_percentage", "protein_percentage", "running-index", "training_load_pro",
    ):  # fmt: skip
        assert key in ex, key
    assert "+" not in ex["start_time"]
    assert not ex["start_time"].endswith("Z")
    assert ex["start_time_utc_offset"] == 120
    seconds = parse_iso_duration(ex["duration"])
    assert seconds is not None
    speed = ex["distance"] / seconds
    assert 2.0 < speed < 5.0
    assert 60 < ex["heart_rate"]["average"] < ex["heart_rate"]["maximum"] <= 200
    assert 3 < ex["calories"] / (seconds / 60) < 25
    assert ex["fat_percentage"] + ex["carbohydrate_percentage"] + ex["protein_percentage"] == 100


@pytest.mark.parametrize(
    ("sport", "has_distance"),
    [("CYCLING", True), ("WALKING", True), ("SWIMMING", True), ("STRENGTH_TRAINING", False)],
)
async def test_sports_are_consistent(sim: Sim, sport: str, has_distance: bool) -> None:
    world = await sim.world()
    made = await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"sport": sport})
    ex = made["exercise"]
    assert ex["sport"] == sport
    assert ("distance" in ex) is has_distance
    assert "running-index" not in ex


async def test_explicit_fields_and_unknown_sport(sim: Sim) -> None:
    world = await sim.world()
    made = await sim.ctl(
        "POST",
        f"/_sim/users/{world.user_id}/exercises",
        {"fields": {"id": "MyId1", "sport": "KITESURFING", "duration": "PT1H", "calories": 777}},
    )
    ex = made["exercise"]
    assert ex["id"] == "MyId1"
    assert ex["sport"] == "KITESURFING"
    assert ex["duration"] == "PT1H"
    assert ex["calories"] == 777
    got = await _get(sim, world, "/v3/exercises/MyId1")
    assert got == ex
    await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/exercises", {"fields": {"id": "MyId1"}}, status=409
    )
    await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/exercises", {"duration": "soon"}, status=400
    )


async def test_generation_is_deterministic(sim: Sim) -> None:
    first = await sim.world()
    a = await sim.ctl("POST", f"/_sim/users/{first.user_id}/exercises", {"push": False})
    async with running_sim(sim.session) as sim2:
        second = await sim2.world()
        b = await sim2.ctl("POST", f"/_sim/users/{second.user_id}/exercises", {"push": False})
    keys = ("id", "sport", "duration", "calories", "distance", "heart_rate", "training_load")
    assert {k: a["exercise"].get(k) for k in keys} == {k: b["exercise"].get(k) for k in keys}


async def test_no_data_before_registration_and_30_days(sim: Sim) -> None:
    client = await sim.ctl("POST", "/_sim/clients", {})
    user = await sim.ctl("POST", "/_sim/users", {})
    uid = user["user_id"]
    await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {"push": False})
    await sim.ctl("POST", f"/_sim/users/{uid}/sleep", {"push": False})
    reg = await sim.ctl("POST", f"/_sim/users/{uid}/register", {"client_id": client["client_id"]})
    world = World(client["client_id"], client["client_secret"], uid, reg["access_token"])
    assert await _get(sim, world, "/v3/exercises") == []
    assert (await _get(sim, world, "/v3/users/sleep"))["nights"] == []
    await sim.ctl("POST", "/_sim/clock", {"advance": 10})
    await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {"push": False})
    assert len(await _get(sim, world, "/v3/exercises")) == 1
    await sim.ctl("POST", "/_sim/clock", {"advance": 31 * 86400})
    assert await _get(sim, world, "/v3/exercises") == []


async def test_exercise_files(sim: Sim) -> None:
    world = await sim.world()
    run = (await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"sport": "RUNNING"}))[
        "exercise"
    ]["id"]
    gym = (
        await sim.ctl(
            "POST", f"/_sim/users/{world.user_id}/exercises", {"sport": "STRENGTH_TRAINING"}
        )
    )["exercise"]["id"]
    fit = await _get(sim, world, f"/v3/exercises/{run}/fit")
    assert fit[8:12] == b".FIT"
    assert fit_crc(fit) == 0  # CRC over the whole file including its CRC is zero
    tcx = gzip.decompress(await _get(sim, world, f"/v3/exercises/{run}/tcx"))
    assert b"<TrainingCenterDatabase" in tcx
    assert b'Sport="Running"' in tcx
    gpx = await _get(sim, world, f"/v3/exercises/{run}/gpx")
    assert b"<trkpt" in gpx
    await _get(sim, world, f"/v3/exercises/{gym}/gpx", 404)


async def test_sleep_recharge_activity_hr(sim: Sim) -> None:
    world = await sim.world()
    uid = world.user_id
    today = (await sim.ctl("GET", "/_sim/clock"))["now"][:10]
    await sim.ctl("POST", f"/_sim/users/{uid}/sleep", {"push": False})
    await sim.ctl("POST", f"/_sim/users/{uid}/activity", {"push": False})
    await sim.ctl("POST", f"/_sim/users/{uid}/continuous-heart-rate", {"push": False})
    sleep = await _get(sim, world, f"/v3/users/sleep/{today}")
    asleep = sleep["light_sleep"] + sleep["deep_sleep"] + sleep["rem_sleep"]
    asleep += sleep["unrecognized_sleep_stage"]
    assert 5 * 3600 < asleep < 9 * 3600
    assert 1 <= sleep["sleep_score"] <= 100
    assert (await _get(sim, world, "/v3/users/sleep"))["nights"] == [sleep]
    available = await _get(sim, world, "/v3/users/sleep/available")
    assert available["available"][0]["date"] == today
    recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{today}")
    assert 1 <= recharge["nightly_recharge_status"] <= 6
    assert (await _get(sim, world, "/v3/users/nightly-recharge"))["recharges"] == [recharge]
    activity = await _get(sim, world, f"/v3/users/activities/{today}")
    assert "samples" not in activity
    assert activity["calories"] > activity["active_calories"]
    with_steps = await _get(sim, world, f"/v3/users/activities/{today}?steps=true")
    assert with_steps["samples"]["steps"]["total_steps"] == activity["steps"]
    assert sum(s["steps"] for s in with_steps["samples"]["steps"]["samples"]) == activity["steps"]
    assert len(await _get(sim, world, "/v3/users/activities")) == 1
    hr = await _get(sim, world, f"/v3/users/continuous-heart-rate/{today}")
    assert len(hr["heart_rate_samples"]) == 288
    await _get(sim, world, "/v3/users/sleep/2020-01-01", 400)  # older than 365 days
    await _get(sim, world, "/v3/users/sleep/not-a-date", 400)
    yesterday = f"{today[:8]}{int(today[8:]) - 1:02d}" if today[8:] != "01" else today
    if yesterday != today:
        await _get(sim, world, f"/v3/users/sleep/{yesterday}", 404)
        await _get(sim, world, f"/v3/users/activities/{yesterday}", 204)


async def test_cardio_load_and_physical_info(sim: Sim) -> None:
    world = await sim.world()
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"push": False})
    loads = await _get(sim, world, "/v3/users/cardio-load")
    assert len(loads) == 28
    assert any(d["cardio_load"] > 0 for d in loads)
    assert len(await _get(sim, world, "/v3/users/cardio-load/period/days/7")) == 7
    await _get(sim, world, "/v3/users/cardio-load/period/days/181", 400)
    await _get(sim, world, "/v3/users/cardio-load/date?from=2026-01-01", 400)
    info = await _get(sim, world, "/v3/users/physical-info")
    assert info["maximum_heart_rate"] > info["resting_heart_rate"]


@pytest.mark.parametrize(
    "query",
    ["from=2026-01-10&to=2026-01-01", "from=2026-01-01&to=2026-03-01", "from=garbage", "to=x"],
)
async def test_range_validation(sim: Sim, query: str) -> None:
    world = await sim.world()
    await sim.ctl("POST", "/_sim/clock", {"set": "2026-03-01T12:00:00+00:00"})
    await _get(sim, world, f"/v3/users/activities?{query}", 400)


def _span(ex: dict[str, Any]) -> tuple[datetime, datetime]:
    """Return the start and end (UTC) of an exercise."""
    start = datetime.fromisoformat(ex["start_time"]).replace(tzinfo=UTC)
    start -= timedelta(minutes=ex["start_time_utc_offset"])
    seconds = parse_iso_duration(ex["duration"])
    assert seconds is not None
    return start, start + timedelta(seconds=seconds)


async def test_workouts_follow_each_other(sim: Sim) -> None:
    """A workout ends now; one made before the previous could have ended follows it."""
    world = await sim.world()
    spans = []
    for sport, minutes in (("RUNNING", 60), ("CYCLING", 90), ("WALKING", 30)):
        made = await sim.ctl(
            "POST",
            f"/_sim/users/{world.user_id}/exercises",
            {"sport": sport, "duration": minutes * 60, "push": False},
        )
        spans.append(_span(made["exercise"]))
        uploaded = datetime.fromisoformat(made["exercise"]["upload_time"])
        if len(spans) == 1:
            assert abs(spans[0][1] - uploaded) < timedelta(seconds=1)
    for (_, previous_end), (start, _) in itertools.pairwise(spans):
        assert start >= previous_end - timedelta(seconds=1)

    await sim.ctl("POST", "/_sim/clock", {"advance": 6 * 3600})
    made = await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/exercises", {"duration": 1800, "push": False}
    )
    start, end = _span(made["exercise"])
    assert abs(end - datetime.fromisoformat(made["exercise"]["upload_time"])) < timedelta(seconds=1)
    assert start > spans[-1][1]


async def test_history_serves_a_year_by_ranges_and_periods(sim: Sim) -> None:
    """A year synced after registration: activity by 28-day ranges, heart rate, cardio periods."""
    world = await sim.world()
    recorded = await sim.ctl("POST", f"/_sim/users/{world.user_id}/history", {"days": 363})
    assert recorded == {"days": 363, "recorded": {"activity": 363, "chr": 363}}
    today = datetime.fromisoformat((await sim.ctl("GET", "/_sim/clock"))["now"]).date()
    first, last = today - timedelta(days=363), today - timedelta(days=336)
    year_ago = await _get(sim, world, f"/v3/users/activities?from={first}&to={last}")
    validate(year_ago, "array-of-activity-summary-with-all-samples")
    assert len(year_ago) == 28
    assert len(await _get(sim, world, "/v3/users/activities")) == 28
    first = today - timedelta(days=27)
    heart = await _get(sim, world, f"/v3/users/continuous-heart-rate?from={first}&to={today}")
    assert len(heart["heart_rates"]) == 27
    validate(heart["heart_rates"][0], "continuous-heartrate")
    loads = await _get(sim, world, "/v3/users/cardio-load/period/days/180")
    validate(loads, "cardio-load-schema")
    assert len(loads) == 180
    await _get(sim, world, f"/v3/users/activities?from={today - timedelta(days=366)}", 400)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/history", {"days": 366}, status=400)
