"""Workouts finished while Home Assistant is down: published once it is back, none lost or twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from scripts.harness import HomeAssistantApi, SimControl, published_minutes, wait_until

from .conftest import ALICE, Stack, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

DURATIONS_MIN = (31, 32, 33)  # tell the exercises apart


async def test_workouts_while_home_assistant_is_down(
    stack: Stack, api: HomeAssistantApi, sim: SimControl, session: aiohttp.ClientSession
) -> None:
    """Stop hass, finish three workouts (their pushes fail), start hass: each published once."""
    await signed_in(stack, api, ALICE)
    await wait_until(lambda: _webhook(sim), "the webhook at the simulator", 20)
    since = datetime.now(UTC) - timedelta(seconds=1)

    assert stack.stop_hass() == 0, "hass did not stop cleanly on SIGTERM"
    created = [
        await sim.workout(ALICE, sport="RUNNING", duration=minutes * 60, distance=5000 + minutes)
        for minutes in DURATIONS_MIN
    ]
    # Let the first delivery attempts fail against the stopped Home Assistant.
    await wait_until(lambda: _failed_pushes(sim, created), "failed pushes", 15)

    stack.start_hass()
    api = await stack.ready(session)
    await sim.call("POST", "/deliveries/wait", {"timeout": 15})  # retries are over or delivered

    async def three() -> bool:
        return len(await published_minutes(api, since)) >= len(DURATIONS_MIN)

    await wait_until(three, "three logbook entries", 30)
    await asyncio.sleep(2)  # a late duplicate would show up now
    minutes = await published_minutes(api, since)
    assert minutes == list(DURATIONS_MIN), minutes  # each once: none lost, none twice

    counts = await sim.request_counts()
    assert counts.get("GET /v3/exercises", 0) >= 1, counts  # the catch-up after the restart


async def _webhook(sim: SimControl) -> Any:
    """Return the client's webhook once it exists."""
    return (await sim.client("e2e-client")).get("webhook")


async def _failed_pushes(sim: SimControl, created: list[dict[str, Any]]) -> bool:
    """Return whether every workout's push has failed at least once."""
    ids = {c["notice"]["notice_id"] for c in created}
    failed = {d["notice_id"] for d in await sim.deliveries(kind="push") if not d["ok"]}
    return ids <= failed
