"""Home Assistant stopped in the middle of a burst of pushed workouts: each published once.

Two signed-in accounts; 60 workouts finished at the simulator at 20/s, each pushed to Home
Assistant. After the 25th, hass gets SIGTERM while the burst goes on, and the last 15 are
finished only after it has exited: their pushes fail at the simulator. The fetches of the 3
workouts before the SIGTERM hang at the simulator, so their notices are acknowledged but their
exercises not published yet when hass stops. The pushes of the burst's last 5 are held back at
the simulator and delivered to the restarted hass once it has reconciled (stale duplicates).
hass is started again on the same config dir and port. Across both lifetimes every exercise id
of the burst must be published exactly once: `polar_flow_exercise` events collected over a
websocket in each lifetime, and the logbook lines of the whole window (each a state of an event
entity, told apart by the workout's own duration). The hass log must have no ERROR from Polar
Flow or the webhook component.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
import re
import time
from typing import Any

import aiohttp
import pytest

from scripts.harness import (
    EVENT_EXERCISE,
    HarnessError,
    HassWebSocket,
    HomeAssistantApi,
    SimControl,
    published_minutes,
    sign_in,
    wait_http,
    wait_until,
)

from .conftest import ALICE, BOB, CLIENT_ID, Stack, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

BURST = 60
RATE = 20.0  # workouts per second
STOP_AFTER = 25  # SIGTERM once this many workouts are finished
AFTER_EXIT = 15  # the burst's last workouts, finished only after hass has exited
HUNG = 3  # the fetches of the last workouts before the SIGTERM hang at the simulator (10 s)
HANG_FETCHES = {"path": "/v3/exercises/", "method": "GET", "kind": "hang", "count": HUNG,
                "seconds": 10.0}  # fmt: skip
HELD = 5  # the pushes of the burst's last workouts, held until hass has started again
HOLD_PUSHES = {"kind": "reorder", "count": HELD + 1}  # never full: DELETE /faults sends them
FIRST_MINUTES = 100  # workout i lasts FIRST_MINUTES + i minutes: that tells them apart
# "2026-11-28 00:56:55.560 ERROR (MainThread) [custom_components.polar_flow] ..."
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ ([A-Z]+) \([^)]*\) \[([^\]]+)\]")
OURS = ("custom_components.polar_flow", "homeassistant.components.webhook")


class Lifetime:
    """The exercise events one hass lifetime sent over a websocket subscription."""

    def __init__(self) -> None:
        """Start empty."""
        self.ws: HassWebSocket | None = None
        self.queue: asyncio.Queue[dict[str, Any]] | None = None
        self.ids: list[str] = []

    async def subscribe(self, api: HomeAssistantApi) -> None:
        """Connect and subscribe to the exercise events."""
        self.ws = await api.websocket()
        self.queue = await self.ws.subscribe_events(EVENT_EXERCISE)

    def drain(self) -> list[str]:
        """Move the events received so far into ids; return them."""
        while self.queue is not None and not self.queue.empty():
            self.ids.append(self.queue.get_nowait()["data"]["exercise_id"])
        return self.ids

    async def close(self) -> None:
        """Drain and close the connection (hass may have closed it already)."""
        self.drain()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None
        self.drain()


@dataclass
class Burst:
    """The workouts of the burst, when each was finished, and when hass was stopped."""

    created: list[dict[str, Any]] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    signalled: float = 0.0
    exited: float = 0.0

    def ids(self, start: int = 0, stop: int = BURST) -> set[str]:
        """Return the exercise ids of workouts start..stop-1."""
        return {c["exercise"]["id"] for c in self.created[start:stop]}

    def notices(self, start: int = 0, stop: int = BURST) -> set[int]:
        """Return the notice ids of workouts start..stop-1."""
        return {c["notice"]["notice_id"] for c in self.created[start:stop]}

    def describe(self) -> str:
        """Say how the burst went relative to the stop."""
        stopping = sum(self.signalled < t < self.exited for t in self.sent_at)
        after = sum(t > self.exited for t in self.sent_at)
        return (
            f"{STOP_AFTER} workouts before SIGTERM ({HUNG} with hung fetches), {stopping} while "
            f"hass stopped ({self.exited - self.signalled:.1f} s), {after} after its exit"
        )


async def test_restart_in_the_middle_of_a_burst(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, session: aiohttp.ClientSession
) -> None:
    """SIGTERM mid-burst, the rest of the burst while down, start again: each id once."""
    await signed_in(stack, api, ALICE)
    await _sign_in_bob(stack, api, sim)
    await wait_until(lambda: _webhook_pinged(sim), "the webhook at the simulator", 20)
    since = datetime.now(UTC) - timedelta(seconds=1)

    first, second = Lifetime(), Lifetime()
    await first.subscribe(api)
    burst = await _burst_with_a_stop(stack, sim, first)
    await first.close()
    minutes_to_id = {FIRST_MINUTES + i: c["exercise"]["id"] for i, c in enumerate(burst.created)}
    everything = burst.ids()
    assert len(everything) == BURST

    stack.start_hass()
    assert stack.hass is not None
    log_offset = stack.hass.log_offset
    await wait_http(session, f"{stack.hass_url}/manifest.json", stack.hass, 60)
    await wait_until(lambda: _subscribed(second, api), "a websocket after the restart", 60)
    api = await stack.ready(session)

    async def accounted() -> bool:
        logged = await published_minutes(api, since)
        seen = set(first.drain()) | set(second.drain())
        return everything <= seen | {minutes_to_id.get(m) for m in logged}

    await wait_until(accounted, f"all {BURST} exercises published", 30)
    # Now the held pushes of exercises the restarted hass has reconciled already.
    held = burst.notices(BURST - HELD)
    await sim.call("DELETE", "/faults", expect=(204,))
    await wait_until(partial(_acknowledged, sim, held), "the held pushes acknowledged", 15)
    await sim.call("POST", "/deliveries/wait", {"timeout": 10})
    await asyncio.sleep(1.5)  # a late duplicate would show up now
    await second.close()

    logged = await published_minutes(api, since)
    by_logbook = [minutes_to_id.get(m, f"unknown {m} min") for m in logged]
    by_events = first.ids + second.ids
    context = (
        f"{burst.describe()}; events in lifetime 1: {len(first.ids)}, lifetime 2: "
        f"{len(second.ids)}; logbook entries: {len(logged)}"
    )
    twice_logged = sorted(i for i, n in Counter(by_logbook).items() if n > 1)
    twice_fired = sorted(i for i, n in Counter(by_events).items() if n > 1)
    assert not twice_logged, f"published twice (logbook): {twice_logged}; {context}"
    assert not twice_fired, f"published twice (events): {twice_fired}; {context}"
    missing = everything - set(by_logbook) - set(by_events)
    assert not missing, f"never published: {sorted(missing)}; {context}"
    assert set(by_logbook) <= everything, f"unexpected logbook entries: {by_logbook}; {context}"
    assert set(by_events) <= everything, f"unexpected events: {by_events}; {context}"

    # The scenario happened as intended: exercises published before the stop, acknowledged
    # ones not yet published when it came, pushes that failed while hass was down, and held
    # pushes that the restarted integration took as duplicates.
    assert first.ids, context
    hung = burst.ids(STOP_AFTER - HUNG, STOP_AFTER)
    assert not hung & set(first.ids), f"a hung fetch finished before the stop; {context}"
    pushes = await sim.deliveries(kind="push")
    assert any(not d["ok"] for d in pushes), f"no push failed while hass was down; {context}"
    raw = stack.hass_log.read_bytes()
    restarted = raw[log_offset:].decode("utf-8", errors="replace")
    for exercise_id in burst.ids(BURST - HELD):
        duplicate = rf"The exercise {exercise_id} of user \d+ is already handled"
        assert re.search(duplicate, restarted), (
            f"the held push of {exercise_id} was not taken as a duplicate; {context}"
        )

    errors = _error_records(raw.decode("utf-8", errors="replace"))
    assert not errors, "\n\n".join(errors)


async def _burst_with_a_stop(stack: Stack, sim: SimControl, first: Lifetime) -> Burst:
    """Finish BURST workouts at RATE; SIGTERM hass after STOP_AFTER of them."""
    burst = Burst()
    stopping: asyncio.Task[tuple[int | None, float, float]] | None = None
    start = time.monotonic()
    for i in range(BURST):
        if i == STOP_AFTER - HUNG:
            # Every exercise so far is published; the fetches of the next HUNG will hang.
            last = burst.created[-1]["exercise"]["id"]
            await wait_until(partial(_published, first, last), f"exercise {last} published", 10)
            await sim.call("POST", "/faults", HANG_FETCHES)
        if i == BURST - AFTER_EXIT:
            assert stopping is not None
            status, burst.signalled, burst.exited = await stopping
            assert status == 0, f"hass exited with status {status} on SIGTERM"
        if i == BURST - HELD:
            await sim.call("POST", "/delivery-faults", HOLD_PUSHES)
        await asyncio.sleep(max(0.0, start + i / RATE - time.monotonic()))
        minutes = FIRST_MINUTES + i
        user = (ALICE, BOB)[i % 2]
        burst.created.append(
            await sim.workout(user, sport="RUNNING", duration=minutes * 60, distance=1000 + i)
        )
        burst.sent_at.append(time.monotonic())
        if i + 1 == STOP_AFTER:
            # The hung notices are acknowledged and their fetches hang at the simulator.
            hung = burst.notices(STOP_AFTER - HUNG, STOP_AFTER)
            await wait_until(partial(_acknowledged, sim, hung), "the hung notices acked", 10)
            await wait_until(lambda: _fetches_hanging(sim), "the hung fetches", 10)
            stopping = asyncio.create_task(asyncio.to_thread(_stop, stack))
    return burst


def _stop(stack: Stack) -> tuple[int | None, float, float]:
    """Stop hass with SIGTERM and wait: its exit status, when it was signalled, when it exited."""
    signalled = time.monotonic()
    status = stack.stop_hass()
    return status, signalled, time.monotonic()


async def _sign_in_bob(stack: Stack, api: HomeAssistantApi, sim: SimControl) -> None:
    """Sign Bob in too (auto-approved): two accounts, two stores to flush at the stop."""
    if BOB in stack.entries:
        return
    await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": True})
    try:
        done = await sign_in(api, polar_user=BOB)
    finally:
        await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": False})
    if done.result.get("type") != "create_entry":
        raise HarnessError(f"signing Bob in did not create an entry: {done.result}")
    stack.entries[BOB] = done.result["result"]["entry_id"]


async def _webhook_pinged(sim: SimControl) -> bool:
    """Return whether the webhook exists with both users and answered a PING."""
    client = await sim.client(CLIENT_ID)
    return bool(
        client.get("webhook")
        and sorted(client["registered_users"]) == [ALICE, BOB]
        and await sim.deliveries(kind="ping")
    )


async def _subscribed(lifetime: Lifetime, api: HomeAssistantApi) -> bool:
    """Subscribe as early as the restarted hass allows (before it is RUNNING)."""
    try:
        await lifetime.subscribe(api)
    except HarnessError, aiohttp.ClientError, TimeoutError:
        await lifetime.close()
        return False
    return True


async def _published(lifetime: Lifetime, exercise_id: str) -> bool:
    """Return whether this lifetime's websocket has seen the exercise."""
    return exercise_id in lifetime.drain()


async def _acknowledged(sim: SimControl, notice_ids: set[int]) -> bool:
    """Return whether Home Assistant answered 200 to each of these notices."""
    pushes = await sim.deliveries(kind="push")
    return notice_ids <= {p["notice_id"] for p in pushes if p["ok"]}


async def _fetches_hanging(sim: SimControl) -> bool:
    """Return whether the hang rule is used up: every hung fetch is at the simulator."""
    rules: dict[str, list[Any]] = await sim.call("GET", "/faults")
    return not rules["responses"]


def _error_records(log: str) -> list[str]:
    """Return the ERROR and CRITICAL records of Polar Flow or the webhook component.

    A record is a log line with its continuation lines (a traceback); records of other loggers
    count when their traceback goes through Polar Flow.
    """
    records: list[tuple[str, str, list[str]]] = []
    for line in log.splitlines():
        if match := LOG_RECORD.match(line):
            records.append((match.group(1), match.group(2), [line]))
        elif records:
            records[-1][2].append(line)
    return [
        "\n".join(lines)
        for level, logger, lines in records
        if level in {"ERROR", "CRITICAL"}
        and (logger.startswith(OURS) or any("polar_flow" in line for line in lines))
    ]
