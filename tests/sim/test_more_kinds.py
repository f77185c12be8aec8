"""Issue #11's kinds: SleepWise and biosensing by device capability, every push, a simulated day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .openapi import validate
from .util import Receiver, Sim, World

DAY = "2026-05-01"
ALL_EVENTS = [
    "EXERCISE",
    "SLEEP",
    "CONTINUOUS_HEART_RATE",
    "SLEEP_WISE_CIRCADIAN_BEDTIME",
    "SLEEP_WISE_ALERTNESS",
    "ACTIVITY_SUMMARY",
    "PHYSICAL_INFORMATION",
]
BIOSENSING = ("spo2", "skintemperature", "bodytemperature")


async def _get(sim: Sim, world: World, path: str, status: int = 200) -> Any:
    """GET an API path with the world's token; its JSON when 200, else None."""
    async with sim.session.get(sim.url + path, headers=world.bearer) as resp:
        assert resp.status == status, (path, resp.status, await resp.text())
        return await resp.json() if status == 200 else None


async def _world(sim: Sim, receiver: Receiver | None = None, **user: Any) -> World:
    """Set the clock to the evening of DAY and make a world (user fields applied)."""
    await sim.ctl("POST", "/_sim/clock", {"set": f"{DAY}T18:00:00+00:00"})
    world = await sim.world(receiver, events=ALL_EVENTS)
    if user:
        await sim.ctl("PATCH", f"/_sim/users/{world.user_id}", user)
    return world


async def test_new_users_support_sleepwise_but_have_no_biosensing(sim: Sim) -> None:
    user = await sim.ctl("POST", "/_sim/users", {})
    assert user["sleepwise"] is True
    assert user["biosensing"] is False
    other = await sim.ctl("POST", "/_sim/users", {"sleepwise": False, "biosensing": True})
    assert (other["sleepwise"], other["biosensing"]) == (False, True)
    await sim.ctl("POST", "/_sim/users", {"biosensing": "yes"}, status=400)


async def test_sleepwise_serves_recorded_periods(sim: Sim) -> None:
    world = await _world(sim)
    for kind in ("alertness", "circadian-bedtime"):
        await _get(sim, world, f"/v3/users/sleepwise/{kind}", 204)
    made = await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleepwise", {"date": DAY})
    assert {n["payload"]["event"] for n in made["notices"]} == {
        "SLEEP_WISE_ALERTNESS",
        "SLEEP_WISE_CIRCADIAN_BEDTIME",
    }
    for notice in made["notices"]:
        assert (notice["payload"]["from"], notice["payload"]["to"]) == (DAY, DAY)

    alertness = await _get(sim, world, "/v3/users/sleepwise/alertness")
    assert alertness == [made["alertness"]]
    validate(alertness[0], "alertness")
    assert 1 <= alertness[0]["grade"] <= 10
    woke = datetime.fromisoformat(alertness[0]["sleep_period_end_time"])
    assert woke.date().isoformat() == DAY
    assert alertness[0]["hourly_data"][0]["start_time"] >= alertness[0]["sleep_period_end_time"]
    bedtime = await _get(
        sim, world, f"/v3/users/sleepwise/circadian-bedtime/date?from={DAY}&to={DAY}"
    )
    assert bedtime == [made["circadian_bedtime"]]
    validate(bedtime[0], "circadian-bedtime")
    gate_start = datetime.fromisoformat(bedtime[0]["sleep_gate_start_time"])
    gate_end = datetime.fromisoformat(bedtime[0]["sleep_gate_end_time"])
    preferred = datetime.fromisoformat(bedtime[0]["preferred_sleep_period_start_time"])
    assert gate_start < preferred < gate_end
    assert gate_end - gate_start == timedelta(minutes=30)

    before = (date.fromisoformat(DAY) - timedelta(days=3)).isoformat()
    await _get(sim, world, f"/v3/users/sleepwise/alertness/date?from={before}&to={before}", 204)
    await _get(sim, world, "/v3/users/sleepwise/alertness/date?from=2026-03-01&to=2026-05-01", 400)


async def test_sleepwise_answers_204_when_the_device_lacks_it(sim: Sim) -> None:
    world = await _world(sim)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleepwise", {"date": DAY})
    await sim.ctl("PATCH", f"/_sim/users/{world.user_id}", {"sleepwise": False})
    await _get(sim, world, "/v3/users/sleepwise/alertness", 204)
    await _get(sim, world, f"/v3/users/sleepwise/circadian-bedtime/date?from={DAY}&to={DAY}", 204)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleepwise", {"date": DAY}, status=409)


async def test_biosensing_needs_the_sensors(sim: Sim) -> None:
    world = await _world(sim)
    for path in BIOSENSING:
        await _get(sim, world, f"/v3/users/biosensing/{path}", 204)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/biosensing", {"date": DAY}, status=409)

    await sim.ctl("PATCH", f"/_sim/users/{world.user_id}", {"biosensing": True})
    for path in BIOSENSING:
        await _get(sim, world, f"/v3/users/biosensing/{path}", 204)  # capable, but no data yet
    made = await sim.ctl("POST", f"/_sim/users/{world.user_id}/biosensing", {"date": DAY})
    spo2 = await _get(sim, world, "/v3/users/biosensing/spo2")
    skin = await _get(sim, world, f"/v3/users/biosensing/skintemperature?from={DAY}&to={DAY}")
    body = await _get(sim, world, "/v3/users/biosensing/bodytemperature")
    assert (spo2, skin, body) == (made["spo2"], made["skintemperature"], made["bodytemperature"])
    validate(spo2[0], "spo2-test-result")
    validate(skin[0], "skin-temperature")
    validate(body[0], "body-temperature-period")
    assert 90 <= spo2[0]["blood_oxygen_percent"] <= 100
    assert skin[0]["sleep_date"] == DAY
    assert 30 < skin[0]["sleep_time_skin_temperature_celsius"] < 38
    assert all(35 < s["temperature_celsius"] < 38.5 for s in body[0]["samples"])
    await _get(sim, world, "/v3/users/biosensing/spo2?from=2026-04-01", 400)
    await _get(sim, world, "/v3/users/biosensing/spo2?from=2026-04-20&to=2026-04-21", 204)
    await sim.ctl("PATCH", f"/_sim/users/{world.user_id}", {"biosensing": False})
    await _get(sim, world, "/v3/users/biosensing/spo2", 204)


async def test_generated_kinds_are_deterministic(sim: Sim) -> None:
    world = await _world(sim, biosensing=True)
    first = await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleepwise", {"date": DAY})
    again = await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleepwise", {"date": DAY})
    assert first["alertness"] == again["alertness"]
    bio = await sim.ctl("POST", f"/_sim/users/{world.user_id}/biosensing", {"date": DAY})
    bio2 = await sim.ctl("POST", f"/_sim/users/{world.user_id}/biosensing", {"date": DAY})
    assert bio["spo2"] == bio2["spo2"]
    assert len(await _get(sim, world, "/v3/users/biosensing/spo2")) == 1


async def test_cardio_load_not_available_without_training(sim: Sim) -> None:
    world = await _world(sim)
    loads = await _get(sim, world, "/v3/users/cardio-load")
    assert len(loads) == 28
    assert {d["cardio_load_status"] for d in loads} == {"LOAD_STATUS_NOT_AVAILABLE"}
    validate(loads, "cardio-load-schema")


async def test_notices_for_every_event_validate(sim: Sim, receiver: Receiver) -> None:
    world = await _world(sim, receiver)
    for event in ALL_EVENTS:
        body: dict[str, Any] = {"event": event, "user_id": world.user_id}
        if event == "EXERCISE":
            body["entity_id"] = "abc"
        await sim.ctl("POST", "/_sim/notices", body)
    await receiver.wait_notices(len(ALL_EVENTS))
    refs = {
        "EXERCISE": "webhookPayloadExercise",
        "SLEEP": "webhookPayloadSleep",
        "CONTINUOUS_HEART_RATE": "webhookPayloadContinuousHeartRate",
        "SLEEP_WISE_CIRCADIAN_BEDTIME": "webhookPayloadCircadianBedtime",
        "SLEEP_WISE_ALERTNESS": "webhookPayloadAlertness",
        "ACTIVITY_SUMMARY": "webhookPayloadActivitySummary",
        "PHYSICAL_INFORMATION": "webhookPayloadPhysicalInformation",
    }
    for received in receiver.notices:
        validate(received.json, refs[received.json["event"]])
    assert sorted(r.json["event"] for r in receiver.notices) == sorted(ALL_EVENTS)


async def test_simulated_day_records_and_pushes_everything(sim: Sim, receiver: Receiver) -> None:
    world = await _world(sim, receiver)
    before = await _get(sim, world, "/v3/users/physical-info")
    day = await sim.ctl("POST", f"/_sim/users/{world.user_id}/day", {"weight": 70.5})
    await sim.wait_idle()
    events = sorted(r.json["event"] for r in receiver.notices)
    assert events == sorted(
        [
            "EXERCISE",
            "SLEEP",
            "ACTIVITY_SUMMARY",
            "ACTIVITY_SUMMARY",
            "ACTIVITY_SUMMARY",
            "CONTINUOUS_HEART_RATE",
            "SLEEP_WISE_ALERTNESS",
            "SLEEP_WISE_CIRCADIAN_BEDTIME",
            "PHYSICAL_INFORMATION",
        ]
    )
    assert day["date"] == DAY
    steps = [sync["steps"] for sync in day["activity"]]
    assert steps == sorted(steps)
    assert steps[0] < steps[-1]
    activity = await _get(sim, world, f"/v3/users/activities/{DAY}")
    assert activity["steps"] == steps[-1]
    assert (await _get(sim, world, "/v3/users/physical-info"))["weight"] == 70.5
    assert before["weight"] != 70.5
    assert len(await _get(sim, world, "/v3/exercises")) == 1
    assert (await _get(sim, world, f"/v3/users/sleep/{DAY}"))["date"] == DAY
    assert await _get(sim, world, "/v3/users/sleepwise/alertness")
    await _get(sim, world, "/v3/users/biosensing/spo2", 204)


async def test_request_counts_per_account(sim: Sim) -> None:
    first = await sim.world()
    second = await sim.world()
    await sim.ctl("DELETE", "/_sim/requests")
    await _get(sim, first, "/v3/exercises")
    await _get(sim, first, "/v3/exercises")
    await _get(sim, first, f"/v3/users/activities/{DAY}", 204)
    await _get(sim, second, "/v3/exercises")
    mine = await sim.ctl("GET", f"/_sim/requests?user_id={first.user_id}")
    assert mine == {
        "counts": {"GET /v3/exercises": 2, "GET /v3/users/activities/{date}": 1},
        "total": 3,
    }
    everyone = await sim.ctl("GET", "/_sim/requests")
    assert everyone["total"] == 4
    assert everyone["by_user"][str(second.user_id)] == {"GET /v3/exercises": 1}
    await sim.ctl("GET", "/_sim/requests?user_id=x", status=400)


async def test_lists_answer_with_a_trailing_slash(sim: Sim) -> None:
    """Polar's example client asks for /v3/users/sleep/ and /v3/users/nightly-recharge/."""
    world = await _world(sim)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleep", {"date": DAY})
    nights = await _get(sim, world, "/v3/users/sleep/")
    assert [n["date"] for n in nights["nights"]] == [DAY]
    recharges = await _get(sim, world, "/v3/users/nightly-recharge/")
    assert [r["date"] for r in recharges["recharges"]] == [DAY]
