"""A simulated day of every kind of Polar data, against a real hass and the simulator.

A night, SleepWise, three activity syncs, a workout (and its cardio load), the day's heart rate
and a weight change, pushed to a running Home Assistant: each kind's bus event fires, no event
twice with the same data, and every sensor shows a value. Body sensing (no webhook) appears for
the account whose device measures it, and only for it. Then a day split by a restart: what was
recorded while Home Assistant was down is published once at the next start, and a start after
that publishes nothing. Expected values come from the simulator's own documents.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any

import aiohttp
import pytest

from scripts.harness import DOMAIN, HomeAssistantApi, SimControl, event_firings, wait_until

from .conftest import ALICE, BOB, CLIENT_ID, Account, Stack, account, run, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

# The kinds each part of the simulator's day answer brings.
DAY_KINDS = {
    "sleep": ("sleep", "nightly_recharge"),
    "sleepwise": ("sleepwise_alertness", "sleepwise_circadian_bedtime"),
    "activity": ("activity",),
    "exercise": ("exercise", "cardio_load"),
    "heart_rate": ("continuous_heart_rate",),
    "physical": ("physical_information",),
}
# Measured by some devices only; Polar pushes none of them.
BODY_KINDS = ("spo2", "skin_temperature", "body_temperature")
BODY_SENSORS = (
    "blood_oxygen", "blood_oxygen_class", "blood_oxygen_deviation", "spo2_test_time",
    "spo2_test_heart_rate", "spo2_test_heart_rate_variability", "skin_temperature",
    "skin_temperature_deviation", "body_temperature", "body_temperature_minimum",
    "body_temperature_maximum", "body_temperature_time",
)  # fmt: skip
# What the bus events add to a kind's summary.
COMMON = ("device_id", "config_entry_id", "user_id")
# Kinds published again only when their content changes (all but the exercise).
DATED_REPEATS = ("activity",)
LIST_ROUTES = ("GET /v3/exercises", "GET /v3/users/activities", "GET /v3/users/physical-info")


@pytest.fixture(scope="module")
def today(stack: Stack) -> date:
    """Return the simulated date once, so every test of the module means the same day."""

    async def ask() -> date:
        async with aiohttp.ClientSession() as session:
            return await SimControl(session, stack.sim_url).today()

    return run(ask())


async def test_day_pushed_to_running_home_assistant(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, today: date
) -> None:
    """Every kind of the day fires its event once per content; every sensor has a value."""
    # Alice's watch measures body sensing, and her morning's data has synced when she signs
    # in (to a client she was registered with before: AccessLink hides older data). Polar
    # pushes none of it: the probe at setup finds it; the day's own comes with the next one.
    await sim.call("POST", f"/users/{ALICE}/register", {"client_id": CLIENT_ID})
    await sim.set_device(ALICE, biosensing=True)
    body = await sim.biosensing(ALICE, today.isoformat())
    alice = await signed_in(stack, api, ALICE)
    bob = await signed_in(stack, api, BOB)
    await _webhook_ready(sim)

    async with await api.websocket() as ws:
        queues = {
            kind: await ws.subscribe_events(f"{DOMAIN}_{kind}")
            for kind in (*(k for kinds in DAY_KINDS.values() for k in kinds), *BODY_KINDS)
        }
        day = await sim.simulated_day(ALICE, today.isoformat())
        expected = _day_kinds(day)
        full_steps = day["activity"][-1]["steps"]

        fired: dict[str, list[dict[str, Any]]] = {kind: [] for kind in queues}

        async def landed() -> bool:
            for kind, queue in queues.items():
                while not queue.empty():
                    fired[kind].append(queue.get_nowait()["data"])
            return all(fired[kind] for kind in expected) and any(
                event["steps"] == full_steps for event in fired["activity"]
            )

        await wait_until(landed, "an event of every kind of the day", 45)
        await sim.call("POST", "/deliveries/wait", {"timeout": 15})
        await asyncio.sleep(2)  # a late duplicate would show up now
        await landed()

    assert {kind for kind, events in fired.items() if events} == set(expected), fired
    for kind in expected:
        events = fired[kind]
        for event in events:
            assert {key: event[key] for key in COMMON} == {
                "device_id": alice.device_id,
                "config_entry_id": alice.entry_id,
                "user_id": ALICE,
            }, (kind, event)
        assert _repeats(events) == [], f"{kind} fired twice with the same data: {events}"
        if kind not in DATED_REPEATS:
            assert len(events) == 1, (kind, events)
    # The syncs only grow the day; the last event is the full day.
    steps = [event["steps"] for event in fired["activity"]]
    assert steps == sorted(steps), steps
    assert steps[-1] == full_steps, steps
    assert set(steps) <= {sync["steps"] for sync in day["activity"]}, steps

    alice = await account(api, ALICE)
    await _assert_every_sensor_has_a_value(api, ALICE)
    assert (await api.state(alice.sensors["steps"]))["state"] == str(full_steps)
    score = await api.state(alice.sensors["sleep_score"])
    assert score["state"] == str(day["sleep"]["sleep_score"])
    weight = await api.state(alice.sensors["weight"])
    assert float(weight["state"]) == pytest.approx(day["physical"]["weight"])
    assert set(BODY_SENSORS) <= set(alice.sensors), alice.sensors
    assert set(BODY_KINDS) <= set(alice.events), alice.events
    oxygen = await api.state(alice.sensors["blood_oxygen"])
    assert oxygen["state"] == str(body["spo2"][-1]["blood_oxygen_percent"])
    skin = await api.state(alice.sensors["skin_temperature"])
    assert float(skin["state"]) == pytest.approx(
        body["skintemperature"][-1]["sleep_time_skin_temperature_celsius"]
    )
    for kind in expected:
        fired_state = await api.state(alice.events[kind])
        assert fired_state["state"] not in ("unknown", "unavailable"), (kind, fired_state)

    # Bob's watch measures no body sensing: none of those entities exist for him.
    bob = await account(api, BOB)
    assert not {*BODY_KINDS, *BODY_SENSORS} & {*bob.sensors, *bob.events}, bob.entities


async def test_restart_in_the_middle_of_a_day_loses_nothing(
    stack: Stack,
    api: HomeAssistantApi,
    sim: SimControl,
    session: aiohttp.ClientSession,
    today: date,
) -> None:
    """The night and SleepWise pushed, hass stopped, the rest of the day recorded: all once."""
    await signed_in(stack, api, BOB)
    await _webhook_ready(sim)
    since = datetime.now(UTC) - timedelta(seconds=1)
    iso = today.isoformat()

    night = await sim.night(BOB, iso)
    await sim.sleepwise(BOB, iso)
    early = ("sleep", "nightly_recharge", "sleepwise_alertness", "sleepwise_circadian_bedtime")
    await _wait_fired(api, BOB, early, since)

    assert stack.stop_hass() == 0, "hass did not stop cleanly on SIGTERM"
    # The whole day again: the same night and SleepWise, and the rest of the day, all unheard.
    day = await sim.simulated_day(BOB, iso)
    assert day["sleep"] == night["data"]
    ids = {notice["notice_id"] for notice in day["notices"]}
    await wait_until(lambda: _pushes_failed(sim, ids), "every push of the day to fail", 20)
    await sim.call("POST", "/deliveries/wait", {"timeout": 20})  # the retries are over
    await sim.reset_request_counts()

    stack.start_hass()
    api = await stack.ready(session)
    kinds = _day_kinds(day)
    fired = await _wait_fired(api, BOB, kinds, since)
    counts = await sim.request_counts()
    assert all(counts.get(route, 0) >= 1 for route in LIST_ROUTES), counts  # caught up by listing

    for kind in kinds:
        events = [_summary(state["attributes"]) for state in fired[kind]]
        assert len(events) == 1, (kind, events)  # once: none lost, the night not again
    bob = await account(api, BOB)
    assert fired["activity"][0]["attributes"]["steps"] == day["activity"][-1]["steps"]
    assert (await api.state(bob.sensors["steps"]))["state"] == str(day["activity"][-1]["steps"])
    weight = await api.state(bob.sensors["weight"])
    assert float(weight["state"]) == pytest.approx(day["physical"]["weight"])
    score = await api.state(bob.sensors["sleep_score"])
    assert score["state"] == str(day["sleep"]["sleep_score"])
    await _assert_every_sensor_has_a_value(api, BOB)


async def test_restart_after_the_day_publishes_nothing(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, session: aiohttp.ClientSession
) -> None:
    """Start hass again after the day was caught up: it lists everything, publishes nothing."""
    accounts = [await signed_in(stack, api, user) for user in (ALICE, BOB)]
    # Within this module's run (history answers a day from `since`, so not a day back).
    since = datetime.now(UTC) - timedelta(hours=1)
    before = {
        (user.user_id, kind): await _firings(api, user, kind, since)
        for user in accounts
        for kind in user.events
    }
    assert any(before.values()), "runs after the day was published"

    assert stack.stop_hass() == 0, "hass did not stop cleanly on SIGTERM"
    await sim.reset_request_counts()
    stack.start_hass()
    api = await stack.ready(session)

    async def listed() -> bool:
        counts = await sim.request_counts()
        return all(counts.get(route, 0) >= 2 for route in LIST_ROUTES)  # both accounts

    await wait_until(listed, "the catch-up of both accounts", 30)
    await asyncio.sleep(2)  # a duplicate would be published now
    after = {key: await _firings(api, accounts[0 if key[0] == ALICE else 1], key[1], since)
             for key in before}  # fmt: skip
    assert after == before


def _day_kinds(day: dict[str, Any]) -> tuple[str, ...]:
    """Return the kinds a simulated day's answer brings pushed data of (or data following it)."""
    return tuple(kind for part, kinds in DAY_KINDS.items() if part in day for kind in kinds)


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    """Return what an event says of its item (without the account it belongs to)."""
    skip = {*COMMON, "event_type", "event_types", "friendly_name", "icon"}
    return {key: value for key, value in data.items() if key not in skip}


def _repeats(events: list[dict[str, Any]]) -> list[str]:
    """Return the contents that were published more than once."""
    texts = Counter(json.dumps(_summary(event), sort_keys=True) for event in events)
    return [text for text, count in texts.items() if count > 1]


async def _firings(
    api: HomeAssistantApi, user: Account, kind: str, since: datetime
) -> list[dict[str, Any]]:
    """Return what a kind's event entity fired with since `since`."""
    return [
        _summary(state["attributes"])
        for state in await event_firings(api, user.events[kind], since)
    ]


async def _wait_fired(
    api: HomeAssistantApi, user_id: int, kinds: tuple[str, ...], since: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Wait until the event entity of each kind fired since `since`; return their firings."""

    async def all_fired() -> dict[str, list[dict[str, Any]]] | None:
        user = await account(api, user_id)
        fired = {
            kind: await event_firings(api, user.events[kind], since)
            for kind in kinds
            if kind in user.events
        }
        return fired if len(fired) == len(kinds) and all(fired.values()) else None

    await wait_until(all_fired, f"the event entities of {', '.join(kinds)} to fire", 45)
    await asyncio.sleep(2)  # a late duplicate would show up now
    result: dict[str, list[dict[str, Any]]] = await all_fired() or {}
    return result


async def _assert_every_sensor_has_a_value(api: HomeAssistantApi, user_id: int) -> None:
    """Assert that every enabled sensor of an account shows a value."""
    async with await api.websocket() as ws:
        entities = await ws.command("config/entity_registry/list")
    prefix = f"{user_id}_"
    sensors = [
        entity["entity_id"]
        for entity in entities
        if entity["platform"] == DOMAIN
        and entity["unique_id"].startswith(prefix)
        and entity["entity_id"].startswith("sensor.")
        and entity["disabled_by"] is None
    ]
    assert sensors
    states = {entity_id: (await api.state(entity_id))["state"] for entity_id in sensors}
    assert {
        entity_id: state for entity_id, state in states.items()
        if state in ("unknown", "unavailable")
    } == {}  # fmt: skip


async def _pushes_failed(sim: SimControl, notice_ids: set[str]) -> bool:
    """Return whether each of these notices' pushes has failed at least once."""
    failed = {d["notice_id"] for d in await sim.deliveries(kind="push") if not d["ok"]}
    return notice_ids <= failed


async def _webhook_ready(sim: SimControl) -> None:
    """Wait until the webhook at the simulator subscribes to every pushed event and was pinged."""

    async def ready() -> bool:
        hook = (await sim.client(CLIENT_ID)).get("webhook")
        return bool(
            hook
            and {"SLEEP", "ACTIVITY_SUMMARY", "SLEEP_WISE_ALERTNESS"} <= set(hook["events"])
            and await sim.deliveries(kind="ping")
        )

    await wait_until(ready, "the webhook at the simulator", 20)
