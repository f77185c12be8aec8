"""429 bursts: nothing reaches AccessLink before the reported reset, then one catch-up.

The integration plans within the client's budget and never runs into a 429 of its own; here
another user of the same AccessLink client (another installation) uses the window up.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from accesslink_sim.config import RateLimitConfig

from .conftest import BOB, CLIENT_ID, Hit, Polar, errors_in_log

SHORT_LIMIT = 40
WINDOW = 120.0


@pytest.fixture
def sim_settings() -> dict[str, Any]:
    """A client allowed 40 requests per 2 minutes, whatever its number of users."""
    return {
        "rate_limits": RateLimitConfig(
            short_window=WINDOW, short_base=SHORT_LIMIT, short_per_user=0
        )
    }


async def _limited_burst(polar: Polar, freezer: FrozenDateTimeFactory) -> tuple[set[str], Hit]:
    """Another installation uses the window up, a workout meets the 429, a burst, the reset."""
    await use_up_the_window(polar)
    start = len(polar.hits)
    made = {await polar.workout()}
    await polar.settle()
    limited = next(h for h in polar.hits[start:] if h.status == 429)
    reset = float(limited.rate_limit_reset.split(",")[0])
    assert 0 < reset <= WINDOW

    # A burst of pushes while limited: acknowledged, but nothing is fetched.
    before = len(polar.hits)
    made |= set(await asyncio.gather(*(polar.workout() for _ in range(6))))
    await polar.settle()
    assert polar.hits[before:] == []
    pushes = (await polar.ctl("GET", "/deliveries?kind=push"))["deliveries"]
    assert len(pushes) == len(made)
    assert all(p["ok"] for p in pushes)

    freezer.tick(timedelta(seconds=reset - 5))
    async_fire_time_changed(polar.hass)
    await polar.settle()
    assert polar.hits[before:] == []

    # No async_fire_time_changed here: it fires timers slightly ahead of their time, which the
    # integration would see as a refresh during the wait. The ticking clock fires them on time.
    freezer.tick(timedelta(seconds=6))
    deadline = time.monotonic() + 5  # the catch-up may trail the reset by a fraction of a second
    while not polar.hits[before:] and time.monotonic() < deadline:
        await polar.settle(1)
        await asyncio.sleep(0.05)
    await polar.settle()
    return made, limited


async def use_up_the_window(polar: Polar) -> None:
    """Send requests as another user of the client until AccessLink answers 429."""
    await polar.ctl("POST", "/users", {"user_id": BOB, "first_name": "Bob"})
    reg = await polar.ctl("POST", f"/users/{BOB}/register", {"client_id": CLIENT_ID})
    headers = {"Authorization": f"Bearer {reg['access_token']}"}
    for _ in range(SHORT_LIMIT + 1):
        async with polar.session.get(f"{polar.url}/v3/exercises", headers=headers) as resp:
            if resp.status == 429:
                return
    raise AssertionError("the simulator never rate-limited")


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(40)
async def test_rate_limited_burst_waits_for_reset(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No request before RateLimit-Reset; afterwards one listing catches everything up."""
    made, limited = await _limited_burst(polar, freezer)
    reset = float(limited.rate_limit_reset.split(",")[0])
    after = polar.hits[polar.hits.index(limited) + 1 :]
    assert after, "no catch-up after the reset"
    assert all(h.at >= limited.at + reset - 1 for h in after)  # headers count whole seconds
    # One listing per kind, exercises first; no exercise fetched one by one.
    paths = [h.path for h in after]
    assert paths[0] == "/v3/exercises", paths
    # Activity is listed twice: the recent listing and the backfill's first deep range.
    assert paths.count("/v3/users/activities") <= 2, paths
    once = [path for path in paths if path != "/v3/users/activities"]
    assert len(once) == len(set(once)), paths
    assert all(h.status < 300 for h in after), after
    assert not [path for path in paths if path.startswith("/v3/exercises/")], paths
    polar.assert_exactly_once(made)
    assert errors_in_log(caplog) == []
