"""Sleep and Nightly Recharge, pushed and caught up, against a real hass and the simulator.

A night recorded at the simulator pushes SLEEP; Home Assistant fetches the night and then its
Nightly Recharge (Polar pushes none), and publishes each once per content: a repeated notice
publishes nothing, a changed night publishes again, a night recorded while Home Assistant is
stopped is published at the next start, and a start after that publishes nothing. Expected
values come from the simulator's own documents.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from scripts.harness import (
    EVENT_NIGHTLY_RECHARGE,
    EVENT_SLEEP,
    HomeAssistantApi,
    SimControl,
    event_firings,
    next_event,
    wait_until,
)

from .conftest import ALICE, CLIENT_ID, Account, Stack, run, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

FETCH_SLEEP = "GET /v3/users/sleep/{date}"
FETCH_RECHARGE = "GET /v3/users/nightly-recharge/{date}"
LIST_SLEEP = "GET /v3/users/sleep"
LIST_RECHARGE = "GET /v3/users/nightly-recharge"
# Polar's Nightly Recharge status scale, 1 to 6.
STATUSES = ("very_poor", "poor", "compromised", "ok", "good", "very_good")
# What the recharge summary shows of Polar's document.
RECHARGE_SHOWN = ("nightly_recharge_status", "ans_charge", "heart_rate_avg",
                  "heart_rate_variability_avg", "breathing_rate_avg")  # fmt: skip


@pytest.fixture(scope="module")
def today(stack: Stack) -> date:
    """Return the simulated date once, so every test of the module means the same nights."""

    async def ask() -> date:
        async with aiohttp.ClientSession() as session:
            return await SimControl(session, stack.sim_url).today()

    return run(ask())


async def test_pushed_night_is_published_with_its_recharge(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, today: date
) -> None:
    """A recorded night: one sleep event, one recharge event, sensors with Polar's values."""
    alice = await signed_in(stack, api, ALICE)
    await _webhook_ready(sim)
    day = (today - timedelta(days=1)).isoformat()
    await sim.call("DELETE", "/requests", expect=(200, 204))

    async with await api.websocket() as ws:
        sleeps = await ws.subscribe_events(EVENT_SLEEP)
        recharges = await ws.subscribe_events(EVENT_NIGHTLY_RECHARGE)
        recorded = await sim.night(ALICE, day)
        slept = await next_event(sleeps, 20, "polar_flow_sleep event")
        recharged = await next_event(recharges, 20, "polar_flow_nightly_recharge event")
        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)
        assert sleeps.empty(), "the night was published more than once"
        assert recharges.empty(), "the recharge was published more than once"

    counts = await sim.request_counts()
    assert (counts.get(FETCH_SLEEP), counts.get(FETCH_RECHARGE)) == (1, 1), counts
    pushes = await sim.deliveries(kind="push", event="SLEEP")
    notice_id = recorded["notice"]["notice_id"]
    assert [p["status"] for p in pushes if p["notice_id"] == notice_id] == [200]

    night = recorded["data"]
    recharge = await _recharge(sim, day)
    for event in (slept, recharged):
        assert event["data"]["date"] == day
        assert event["data"]["user_id"] == ALICE
        assert event["data"]["device_id"] == alice.device_id
        assert event["data"]["config_entry_id"] == alice.entry_id
    assert slept["data"]["sleep_score"] == night["sleep_score"]
    assert datetime.fromisoformat(slept["data"]["start"]) == _time(night["sleep_start_time"])
    assert recharged["data"]["status"] == _status(recharge)
    assert recharged["data"]["ans_charge"] == recharge["ans_charge"]
    assert recharged["data"]["heart_rate_variability"] == recharge["heart_rate_variability_avg"]

    await _assert_sensors(api, alice, night, recharge)
    sleep_event = await api.state(alice.entities["sleep"])
    assert sleep_event["attributes"]["event_type"] == "sleep"
    assert sleep_event["attributes"]["date"] == day
    recharge_event = await api.state(alice.entities["nightly_recharge"])
    assert recharge_event["attributes"]["event_type"] == _status(recharge)
    assert recharge_event["attributes"]["date"] == day


async def test_repeated_notice_publishes_nothing_and_a_changed_night_once(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, today: date
) -> None:
    """The same night's notice again: nothing. The night changed: one more sleep event."""
    alice = await signed_in(stack, api, ALICE)
    day = (today - timedelta(days=1)).isoformat()
    before = await _recharge(sim, day)
    await sim.call("DELETE", "/requests", expect=(200, 204))

    async with await api.websocket() as ws:
        sleeps = await ws.subscribe_events(EVENT_SLEEP)
        recharges = await ws.subscribe_events(EVENT_NIGHTLY_RECHARGE)
        repeated = await sim.repeat_night(ALICE, day)
        # The repeated notice is fetched (a night may change), the recharge after it.
        await wait_until(lambda: _fetched(sim, FETCH_SLEEP, FETCH_RECHARGE), "the refetch", 20)
        await asyncio.sleep(1)
        assert sleeps.empty(), "a repeated notice published the night again"
        assert recharges.empty(), "a repeated notice published the recharge again"

        score = repeated["data"]["sleep_score"]
        new_score = score - 30 if score > 50 else score + 30
        await sim.call("DELETE", "/requests", expect=(200, 204))
        changed = await sim.night(ALICE, day, fields={"sleep_score": new_score})
        slept = await next_event(sleeps, 20, "polar_flow_sleep event of the changed night")
        assert slept["data"]["date"] == day
        assert slept["data"]["sleep_score"] == new_score == changed["data"]["sleep_score"]
        # Home Assistant fetches the recharge after the night (before this test reads it).
        await wait_until(lambda: _fetched(sim, FETCH_RECHARGE), "the recharge's refetch", 20)
        after = await _recharge(sim, day)
        # What derives from the score (sleep charge, then recharge status) may change too.
        recharge_changed = _shown(after) != _shown(before)
        if recharge_changed:
            recharged = await next_event(recharges, 20, "the changed recharge's event")
            assert recharged["data"]["status"] == _status(after)
        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)
        assert sleeps.empty(), "the changed night was published more than once"
        assert recharges.empty(), "the recharge was published again though it did not change"

    assert (await api.state(alice.entities["sleep_score"]))["state"] == str(new_score)
    await _assert_sensors(api, alice, changed["data"], after)


async def test_night_while_home_assistant_is_stopped_is_caught_up_once(
    stack: Stack,
    api: HomeAssistantApi,
    sim: SimControl,
    session: aiohttp.ClientSession,
    today: date,
) -> None:
    """Stop hass, record a night (its push fails), start: sleep and recharge published once."""
    alice = await signed_in(stack, api, ALICE)
    await _webhook_ready(sim)
    day = today.isoformat()
    since = datetime.now(UTC) - timedelta(seconds=1)

    assert stack.stop_hass() == 0, "hass did not stop cleanly on SIGTERM"
    recorded = await sim.night(ALICE, day)
    notice_id = recorded["notice"]["notice_id"]
    await wait_until(lambda: _push_failed(sim, notice_id), "a failed SLEEP push", 15)
    await sim.call("POST", "/deliveries/wait", {"timeout": 15})  # the retries are over
    await sim.call("DELETE", "/requests", expect=(200, 204))

    stack.start_hass()
    api = await stack.ready(session)
    fired = await _published_once(api, alice, day, since)
    counts = await sim.request_counts()
    assert counts.get(LIST_SLEEP, 0) >= 1, counts  # caught up by listing, not by the push
    assert counts.get(LIST_RECHARGE, 0) >= 1, counts

    night = recorded["data"]
    recharge = await _recharge(sim, day)
    assert fired["sleep"]["attributes"]["sleep_score"] == night["sleep_score"]
    assert fired["nightly_recharge"]["attributes"]["event_type"] == _status(recharge)
    await _assert_sensors(api, alice, night, recharge)


async def test_restart_after_catch_up_publishes_nothing(
    stack: Stack,
    api: HomeAssistantApi,
    sim: SimControl,
    session: aiohttp.ClientSession,
    today: date,
) -> None:
    """Start hass again after the catch-up: it lists the nights and publishes none of them."""
    alice = await signed_in(stack, api, ALICE)
    day = today.isoformat()
    last = {key: await api.state(alice.entities[key]) for key in ("sleep", "nightly_recharge")}
    assert all(state["attributes"].get("date") == day for state in last.values()), (
        "runs after the catch-up test",
        last,
    )
    # From the older of the two last firings (the catch-up's): each entity has fired once since.
    since = min(datetime.fromisoformat(state["state"]) for state in last.values())
    await _published_once(api, alice, day, since)

    assert stack.stop_hass() == 0, "hass did not stop cleanly on SIGTERM"
    await sim.call("DELETE", "/requests", expect=(200, 204))
    stack.start_hass()
    api = await stack.ready(session)
    await wait_until(lambda: _fetched(sim, LIST_SLEEP, LIST_RECHARGE), "the catch-up", 20)
    await asyncio.sleep(2)  # a duplicate would be published now

    for key in ("sleep", "nightly_recharge"):
        fired = await event_firings(api, alice.entities[key], since)
        assert [state["attributes"]["date"] for state in fired] == [day], (key, fired)


async def _published_once(
    api: HomeAssistantApi, alice: Account, day: str, since: datetime
) -> dict[str, dict[str, Any]]:
    """Wait until the sleep and recharge event entities fired for day; each exactly once."""

    async def both() -> bool:
        return all([await event_firings(api, alice.entities[key], since)
                    for key in ("sleep", "nightly_recharge")])  # fmt: skip

    await wait_until(both, "the sleep and recharge event entities to fire", 30)
    await asyncio.sleep(2)  # a late duplicate would show up now
    fired: dict[str, dict[str, Any]] = {}
    for key in ("sleep", "nightly_recharge"):
        states = await event_firings(api, alice.entities[key], since)
        assert [state["attributes"]["date"] for state in states] == [day], (key, states)
        fired[key] = states[0]
    return fired


async def _assert_sensors(
    api: HomeAssistantApi, alice: Account, night: dict[str, Any], recharge: dict[str, Any]
) -> None:
    """Assert the sleep and Nightly Recharge sensors show these documents."""
    score = await api.state(alice.entities["sleep_score"])
    assert score["state"] == str(night["sleep_score"])
    sleep_time = await api.state(alice.entities["sleep_time"])
    asleep = sum(night[stage] for stage in ("light_sleep", "deep_sleep", "rem_sleep",
                                            "unrecognized_sleep_stage"))  # fmt: skip
    assert sleep_time["attributes"]["unit_of_measurement"] == "h"
    assert float(sleep_time["state"]) == pytest.approx(asleep / 3600)
    start = await api.state(alice.entities["sleep_start"])
    end = await api.state(alice.entities["sleep_end"])
    assert datetime.fromisoformat(start["state"]) == _time(night["sleep_start_time"])
    assert datetime.fromisoformat(end["state"]) == _time(night["sleep_end_time"])

    status = await api.state(alice.entities["nightly_recharge_status"])
    assert status["state"] == _status(recharge)
    ans = await api.state(alice.entities["ans_charge"])
    assert float(ans["state"]) == pytest.approx(recharge["ans_charge"])
    hrv = await api.state(alice.entities["heart_rate_variability"])
    assert (hrv["state"], hrv["attributes"]["unit_of_measurement"]) == (
        str(recharge["heart_rate_variability_avg"]),
        "ms",
    )


async def _recharge(sim: SimControl, day: str) -> dict[str, Any]:
    """Return the simulator's Nightly Recharge document of Alice's night."""
    doc: dict[str, Any] = await sim.accesslink(
        ALICE, CLIENT_ID, f"/v3/users/nightly-recharge/{day}"
    )
    return doc


def _status(recharge: dict[str, Any]) -> str:
    """Return the key of a recharge document's status."""
    return STATUSES[recharge["nightly_recharge_status"] - 1]


def _shown(recharge: dict[str, Any]) -> tuple[Any, ...]:
    """Return what Home Assistant shows of a recharge document."""
    return tuple(recharge.get(field) for field in RECHARGE_SHOWN)


def _time(value: str) -> datetime:
    """Parse one of Polar's ISO times."""
    return datetime.fromisoformat(value)


async def _fetched(sim: SimControl, *routes: str) -> bool:
    """Return whether each route was requested since the request log was cleared."""
    counts = await sim.request_counts()
    return all(counts.get(route, 0) >= 1 for route in routes)


async def _push_failed(sim: SimControl, notice_id: str) -> bool:
    """Return whether a notice's push has failed at least once."""
    deliveries = await sim.deliveries(kind="push", event="SLEEP")
    return any(d["notice_id"] == notice_id and not d["ok"] for d in deliveries)


async def _webhook_ready(sim: SimControl) -> dict[str, Any]:
    """Wait until the webhook at the simulator subscribes to SLEEP and answered a PING."""

    async def ready() -> dict[str, Any] | None:
        client = await sim.client(CLIENT_ID)
        hook = client.get("webhook")
        if hook and "SLEEP" in hook["events"] and await sim.deliveries(kind="ping"):
            return dict(hook)
        return None

    hook: dict[str, Any] = await wait_until(ready, "the webhook with SLEEP at the simulator", 20)
    return hook
