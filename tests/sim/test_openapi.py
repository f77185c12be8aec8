"""Every implemented endpoint's responses validate against Polar's OpenAPI schemas."""

from __future__ import annotations

from typing import Any

from .openapi import response_schema, spec, validate, validate_response
from .util import Receiver, Sim, World


async def _json(sim: Sim, method: str, path: str, status: int, **kw: Any) -> Any:
    """Call the API and return the JSON body."""
    async with sim.session.request(method, sim.url + path, **kw) as resp:
        assert resp.status == status, await resp.text()
        return await resp.json()


def test_spec_refs_match_what_is_validated() -> None:
    assert response_schema("/v3/exercises", "get", "200") == {
        "$ref": "#/components/schemas/exercisesHashId"
    }
    assert response_schema("/v3/webhooks", "post", "201") == {
        "$ref": "#/components/schemas/createdWebhook"
    }


async def test_api_responses_validate(sim: Sim, receiver: Receiver) -> None:
    spec()
    world: World = await sim.world(receiver, events=["EXERCISE", "SLEEP"])
    uid, auth = world.user_id, world.bearer
    today = (await sim.ctl("GET", "/_sim/clock"))["now"][:10]
    for sport in ("RUNNING", "CYCLING", "STRENGTH_TRAINING", "KAYAKING"):
        await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {"sport": sport})
    await sim.ctl("POST", f"/_sim/users/{uid}/sleep", {"date": today})
    await sim.ctl("POST", f"/_sim/users/{uid}/activity", {"date": today})
    await sim.ctl("POST", f"/_sim/users/{uid}/continuous-heart-rate", {"date": today})
    await sim.ctl("POST", f"/_sim/users/{uid}/physical-info", {})

    flags = "?samples=true&zones=true&route=true"
    exercises = await _json(sim, "GET", "/v3/exercises" + flags, 200, headers=auth)
    validate(exercises, "exercisesHashId")
    assert len(exercises) == 4
    one = await _json(sim, "GET", f"/v3/exercises/{exercises[0]['id']}{flags}", 200, headers=auth)
    validate(one, "exerciseHashId")
    validate(await _json(sim, "GET", f"/v3/users/{uid}", 200, headers=auth), "user")
    checks = {
        "/v3/users/sleep": "nights",
        f"/v3/users/sleep/{today}": "sleep",
        "/v3/users/sleep/available": "available-sleeps",
        "/v3/users/nightly-recharge": "recharges",
        f"/v3/users/nightly-recharge/{today}": "nightly-recharge",
        "/v3/users/activities?steps=true&activity_zones=true&inactivity_stamps=true": (
            "array-of-activity-summary-with-all-samples"
        ),
        f"/v3/users/activities/{today}?steps=true": "activity-summary-with-all-samples",
        "/v3/users/activities/samples": "array-of-activity-day-with-samples",
        f"/v3/users/activities/samples/{today}": "activity-day-with-samples",
        f"/v3/users/continuous-heart-rate/{today}": "continuous-heartrate",
        "/v3/users/cardio-load": "cardio-load-schema",
        f"/v3/users/cardio-load/{today}": "cardio-load-schema",
        f"/v3/users/cardio-load/date?from={today}&to={today}": "cardio-load-schema",
        "/v3/users/cardio-load/period/days/3": "cardio-load-schema",
        "/v3/users/cardio-load/period/months/1": "cardio-load-schema",
        "/v3/users/physical-info": "physical-info",
    }
    for path, ref in checks.items():
        body = await _json(sim, "GET", path, 200, headers=auth)
        assert body, path
        validate(body, ref)

    validate(await _json(sim, "GET", "/v3/webhooks", 200, headers=world.basic), "webhookInfo")
    patched = await _json(
        sim,
        "PATCH",
        f"/v3/webhooks/{world.webhook_id}",
        200,
        headers=world.basic,
        json={"events": ["EXERCISE", "SLEEP", "PHYSICAL_INFORMATION"]},
    )
    validate(patched, "webhookInfo")
    await sim.ctl("POST", f"/_sim/users/{uid}/physical-info", {})
    await sim.wait_idle()
    payload_refs = {
        "PING": "webhookPing",
        "EXERCISE": "webhookPayloadExercise",
        "SLEEP": "webhookPayloadSleep",
        "PHYSICAL_INFORMATION": "webhookPayloadPhysicalInformation",
    }
    seen = set()
    for received in receiver.received:
        event = received.json["event"]
        validate(received.json, payload_refs[event])
        seen.add(event)
    assert seen == set(payload_refs)


async def test_created_webhook_and_errors_validate(sim: Sim, receiver: Receiver) -> None:
    spec()
    world = await sim.world()
    created = await _json(
        sim,
        "POST",
        "/v3/webhooks",
        201,
        headers=world.basic,
        json={"events": ["EXERCISE"], "url": receiver.url},
    )
    validate(created, "createdWebhook")
    for status, method, path, kw in (
        (409, "POST", "/v3/webhooks", {"json": {"events": ["SLEEP"], "url": receiver.url}}),
        (400, "POST", "/v3/webhooks", {"json": {"events": ["NOPE"], "url": receiver.url}}),
        (404, "PATCH", "/v3/webhooks/zzz", {"json": {"events": ["SLEEP"]}}),
        (404, "DELETE", "/v3/webhooks/zzz", {}),
    ):
        body = await _json(sim, method, path, status, headers=world.basic, **kw)
        validate(body, "error")
        assert body["status"] == status
    for status, path, headers in (
        (401, "/v3/exercises", {}),
        (404, "/v3/exercises/none", world.bearer),
        (409, "/v3/users", world.bearer),
    ):
        method = "POST" if path == "/v3/users" else "GET"
        kw = {"json": {"member-id": "x"}} if method == "POST" else {}
        validate(await _json(sim, method, path, status, headers=headers, **kw), "error")


async def test_every_kind_of_issue_11_validates(sim: Sim, receiver: Receiver) -> None:
    """Each dated kind, generated for a day, answers as the spec's response schema says."""
    spec()
    world = await sim.world(receiver, events=["ACTIVITY_SUMMARY"])
    uid, auth = world.user_id, world.bearer
    await sim.ctl("PATCH", f"/_sim/users/{uid}", {"biosensing": True})
    day = await sim.ctl("POST", f"/_sim/users/{uid}/day", {})
    today = day["date"]
    await sim.ctl("POST", f"/_sim/users/{uid}/biosensing", {"date": today})
    span = f"from={today}&to={today}"
    checks = {
        "/v3/users/activities": "/v3/users/activities?steps=true&activity_zones=true"
        "&inactivity_stamps=true",
        "/v3/users/activities/{date}": f"/v3/users/activities/{today}?steps=true",
        "/v3/users/activities/samples": "/v3/users/activities/samples",
        "/v3/users/continuous-heart-rate/{date}": f"/v3/users/continuous-heart-rate/{today}",
        "/v3/users/cardio-load": "/v3/users/cardio-load",
        "/v3/users/cardio-load/date": f"/v3/users/cardio-load/date?{span}",
        "/v3/users/physical-info": "/v3/users/physical-info",
        "/v3/users/sleepwise/alertness": "/v3/users/sleepwise/alertness",
        "/v3/users/sleepwise/alertness/date": f"/v3/users/sleepwise/alertness/date?{span}",
        "/v3/users/sleepwise/circadian-bedtime": "/v3/users/sleepwise/circadian-bedtime",
        "/v3/users/sleepwise/circadian-bedtime/date": (
            f"/v3/users/sleepwise/circadian-bedtime/date?{span}"
        ),
        "/v3/users/biosensing/spo2": "/v3/users/biosensing/spo2",
        "/v3/users/biosensing/skintemperature": f"/v3/users/biosensing/skintemperature?{span}",
        "/v3/users/biosensing/bodytemperature": "/v3/users/biosensing/bodytemperature",
    }
    for spec_path, path in checks.items():
        body = await _json(sim, "GET", path, 200, headers=auth)
        assert body, path
        validate_response(body, spec_path)
    activities = await _json(sim, "GET", "/v3/users/activities", 200, headers=auth)
    assert activities[0]["steps"] == day["activity"][-1]["steps"]
    loads = await _json(sim, "GET", "/v3/users/cardio-load/period/days/28", 200, headers=auth)
    assert len(loads) == 28
    assert loads[-1]["cardio_load"] > 0
    assert {d["cardio_load_status"] for d in loads[:-1]} == {"LOAD_STATUS_NOT_AVAILABLE"}
    await sim.wait_idle()
    for received in receiver.notices:
        validate(received.json, "webhookPayloadActivitySummary")
    assert len(receiver.notices) == 3
