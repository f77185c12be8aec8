"""Sign-in, pushed workouts, rejected deliveries and a family of two, against a real hass."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import aiohttp
import pytest

from scripts.harness import (
    EVENT_EXERCISE,
    HomeAssistantApi,
    SimControl,
    next_event,
    sign_in,
    wait_until,
)

from .conftest import ALICE, BOB, CLIENT_ID, Stack, account, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

FETCH_ONE = "GET /v3/exercises/{exercise_id}"


async def test_sign_in_through_the_frontend_api(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """The config flow over REST, the consent page, the callback: one user, one pinged webhook."""
    assert ALICE not in stack.entries, "the first test of the module signs Alice in"
    done = await sign_in(api, polar_user=ALICE)

    assert done.consent_page  # auto-approve is off: the form was POSTed
    assert done.authorize_url.startswith(f"{stack.sim_url}/oauth2/authorization?")
    assert done.callback_url.startswith(f"{stack.hass_url}/auth/external/callback?code=")
    assert done.result["type"] == "create_entry", done.result
    assert done.result["title"] == "Alice Runner"
    entry_id = done.result["result"]["entry_id"]
    stack.entries[ALICE] = entry_id

    entries = await api.get("/api/config/config_entries/entry?domain=polar_flow")
    assert [(e["entry_id"], e["state"]) for e in entries] == [(entry_id, "loaded")]

    client = await wait_until(
        lambda: _client_with_webhook(sim), "the webhook registered at the simulator", 20
    )
    assert client["registered_users"] == [ALICE]
    webhook = client["webhook"]
    assert webhook["active"] is True
    # Every event a kind of data is announced by, and nothing else.
    assert sorted(webhook["events"]) == [
        "ACTIVITY_SUMMARY",
        "CONTINUOUS_HEART_RATE",
        "EXERCISE",
        "PHYSICAL_INFORMATION",
        "SLEEP",
        "SLEEP_WISE_ALERTNESS",
        "SLEEP_WISE_CIRCADIAN_BEDTIME",
    ]
    assert webhook["url"].startswith(f"{stack.hass_url}/api/webhook/")
    pings = await sim.deliveries(kind="ping")
    assert pings, "the simulator never pinged Home Assistant"
    assert all(ping["status"] == 200 and ping["ok"] for ping in pings), pings

    alice = await account(api, ALICE)
    assert {"exercise", "last_exercise_sport", "last_exercise_duration"} <= set(alice.entities)


async def test_finished_workout_is_published_once(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """A pushed EXERCISE notice: bus event with the summary, sensors, exactly one fetch."""
    alice = await signed_in(stack, api, ALICE)
    await _webhook_ready(sim)
    await sim.call("DELETE", "/requests", expect=(200, 204))

    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        created = await sim.workout(ALICE, sport="RUNNING", duration=2700, distance=10000)
        event = await next_event(events, 20, "polar_flow_exercise event")
        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)
        assert events.empty(), "the exercise was published more than once"

    exercise = created["exercise"]
    data = event["data"]
    assert data["exercise_id"] == exercise["id"]
    assert data["user_id"] == ALICE
    assert data["device_id"] == alice.device_id
    assert data["config_entry_id"] == alice.entry_id
    assert data["sport"] == "RUNNING"
    assert data["duration"] == 2700
    assert data["distance"] == 10000

    sport = await api.state(alice.entities["last_exercise_sport"])
    duration = await api.state(alice.entities["last_exercise_duration"])
    distance = await api.state(alice.entities["last_exercise_distance"])
    assert sport["state"] == "running"
    assert (float(duration["state"]), duration["attributes"]["unit_of_measurement"]) == (45, "min")
    assert (float(distance["state"]), distance["attributes"]["unit_of_measurement"]) == (10, "km")
    fired = await api.state(alice.entities["exercise"])
    assert fired["attributes"]["event_type"] == "exercise"
    assert fired["attributes"]["exercise_id"] == exercise["id"]

    counts = await sim.request_counts()
    assert counts.get(FETCH_ONE) == 1, counts
    pushes = await sim.deliveries(kind="push", event="EXERCISE")
    assert [p["status"] for p in pushes if p["notice_id"] == created["notice"]["notice_id"]] == [
        200
    ]


async def test_forged_and_malformed_deliveries_are_rejected(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, session: aiohttp.ClientSession
) -> None:
    """A bad signature gets 401; a signed but unusable body 200. Neither fetches or publishes."""
    await signed_in(stack, api, ALICE)
    webhook = await _webhook_ready(sim)
    secret = webhook["secret"].encode()
    await sim.call("DELETE", "/requests", expect=(200, 204))
    notice = json.dumps({
        "event": "EXERCISE", "user_id": ALICE, "entity_id": "forged1",
        "timestamp": "2026-05-01T08:30:00Z", "url": f"{stack.sim_url}/v3/exercises/forged1",
    }).encode()  # fmt: skip

    def signed(body: bytes, key: bytes = secret) -> dict[str, str]:
        signature = hmac.new(key, body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "Polar-Webhook-Event": "EXERCISE",
                "Polar-Webhook-Signature": signature}  # fmt: skip

    attempts = [
        (notice, signed(notice, b"not-the-secret"), 401),
        (notice, {"Content-Type": "application/json"}, 401),
        (b'{"event": "EXERCISE", "user_id": ', signed(b'{"event": "EXERCISE", "user_id": '), 200),
        (b'{"event": "EXERCISE", "user_id": 10000001, "timestamp": "x"}',
         signed(b'{"event": "EXERCISE", "user_id": 10000001, "timestamp": "x"}'), 200),
    ]  # fmt: skip
    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        for body, headers, expected in attempts:
            async with session.post(webhook["url"], data=body, headers=headers) as resp:
                assert resp.status == expected, (body, await resp.text())
        await asyncio.sleep(2)
        assert events.empty(), "a rejected delivery was published"
    counts = await sim.request_counts()
    assert not any(route.startswith("GET /v3/exercises") for route in counts), counts


async def test_two_users_share_one_webhook(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """Bob signs in too (auto-approved): one webhook; each account gets only its own events."""
    alice = await signed_in(stack, api, ALICE)
    await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": True})
    try:
        done = await sign_in(api, polar_user=BOB)
    finally:
        await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": False})
    assert not done.consent_page
    assert done.result["type"] == "create_entry", done.result
    assert done.result["title"] == "Bob Cyclist"
    stack.entries[BOB] = done.result["result"]["entry_id"]
    bob = await account(api, BOB)
    assert bob.device_id != alice.device_id

    client = await sim.client(CLIENT_ID)
    assert sorted(client["registered_users"]) == [ALICE, BOB]
    assert client["webhook"] is not None
    hooks = await sim.call("GET", f"/clients/{CLIENT_ID}/webhook")
    assert hooks["active"] is True

    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        ride = await sim.workout(BOB, sport="CYCLING", duration=3600, distance=30000)
        run = await sim.workout(ALICE, sport="RUNNING", duration=1800, distance=6000)
        got = [await next_event(events, 20, f"exercise event {n}") for n in (1, 2)]
        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)
        assert events.empty()

    by_user = {e["data"]["user_id"]: e["data"] for e in got}
    assert by_user[BOB]["exercise_id"] == ride["exercise"]["id"]
    assert by_user[BOB]["device_id"] == bob.device_id
    assert by_user[ALICE]["exercise_id"] == run["exercise"]["id"]
    assert by_user[ALICE]["device_id"] == alice.device_id
    assert (await api.state(bob.entities["last_exercise_sport"]))["state"] == "cycling"
    assert (await api.state(alice.entities["last_exercise_sport"]))["state"] == "running"
    bob_event = await api.state(bob.entities["exercise"])
    assert bob_event["attributes"]["exercise_id"] == ride["exercise"]["id"]
    # Still exactly one webhook at the simulator, and it pushed both notices to the same URL.
    pushes = await sim.deliveries(kind="push", event="EXERCISE")
    ours = [
        p
        for p in pushes
        if p["notice_id"] in {ride["notice"]["notice_id"], run["notice"]["notice_id"]}
    ]
    assert {p["url"] for p in ours} == {client["webhook"]["url"]}


async def _client_with_webhook(sim: SimControl) -> dict[str, object] | None:
    """Return the client once its webhook exists and answered a PING."""
    client = await sim.client(CLIENT_ID)
    if client.get("webhook") and await sim.deliveries(kind="ping"):
        return client
    return None


async def _webhook_ready(sim: SimControl) -> dict[str, str]:
    """Wait for the webhook at the simulator and return it (with its secret)."""
    await wait_until(lambda: _client_with_webhook(sim), "the webhook at the simulator", 20)
    hook: dict[str, str] = await sim.call("GET", f"/clients/{CLIENT_ID}/webhook")
    return hook
