"""A workout pushed through a cloudhook (HA Cloud's MockRequest path) to a real hass.

The test-only component in cloud_relay/ stands in for the cloud: integrations see an active
subscription whose cloudhook is <hass>/cloud_relay/<webhook_id>, and each delivery there reaches
the webhook component as the MockRequest the cloud component builds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
import shutil
from typing import Any

import pytest

from scripts.harness import EVENT_EXERCISE, HomeAssistantApi, SimControl, next_event, wait_until

from .conftest import ALICE, CLIENT_ID, Stack, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

RELAY = Path(__file__).parent / "cloud_relay"
FETCH_ONE = "GET /v3/exercises/{exercise_id}"


@pytest.fixture(scope="module")
def configure_hass() -> Callable[[Path], None]:
    """Install the cloud stand-in into the config directory and load it."""

    def _configure(config_dir: Path) -> None:
        shutil.copytree(RELAY, config_dir / "custom_components" / "cloud_relay",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        with (config_dir / "configuration.yaml").open("a", encoding="utf-8") as config:
            config.write("cloud_relay:\n")

    return _configure


async def _relayed_webhook(sim: SimControl) -> dict[str, Any] | None:
    """Return the client's webhook once it exists and answered a PING."""
    client = await sim.client(CLIENT_ID)
    if client.get("webhook") and await sim.deliveries(kind="ping"):
        hook: dict[str, Any] = client["webhook"]
        return hook
    return None


async def test_workout_through_a_cloudhook_is_published_once(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """PING and a pushed EXERCISE through the cloudhook: event, sensors, one fetch, no error."""
    alice = await signed_in(stack, api, ALICE)
    hook = await wait_until(lambda: _relayed_webhook(sim), "the webhook at the simulator", 20)
    assert hook["url"].startswith(f"{stack.hass_url}/cloud_relay/"), hook
    pings = await sim.deliveries(kind="ping")
    assert all(ping["status"] == 200 and ping["ok"] for ping in pings), pings
    await sim.call("DELETE", "/requests", expect=(200, 204))

    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        created = await sim.workout(ALICE, sport="CYCLING", duration=3600, distance=25000)
        event = await next_event(events, 20, "polar_flow_exercise event")
        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)
        assert events.empty(), "the exercise was published more than once"

    assert event["data"]["exercise_id"] == created["exercise"]["id"]
    assert event["data"]["device_id"] == alice.device_id
    sport = await api.state(alice.entities["last_exercise_sport"])
    distance = await api.state(alice.entities["last_exercise_distance"])
    assert (sport["state"], float(distance["state"])) == ("cycling", 25)
    counts = await sim.request_counts()
    assert counts.get(FETCH_ONE) == 1, counts
    pushes = await sim.deliveries(kind="push", event="EXERCISE")
    notice_id = created["notice"]["notice_id"]
    assert [p["status"] for p in pushes if p["notice_id"] == notice_id] == [200]
    log = stack.hass_log.read_text(encoding="utf-8", errors="replace")
    assert "Error processing webhook" not in log
    assert "Traceback" not in log
