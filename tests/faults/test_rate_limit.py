"""429 bursts: nothing reaches AccessLink before the reported reset, then one catch-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from accesslink_sim.config import RateLimitConfig

from .conftest import Hit, Polar, errors_in_log

SHORT_LIMIT = 20
WINDOW = 120.0


@pytest.fixture
def sim_settings() -> dict[str, Any]:
    """A client allowed 20 requests per 2 minutes, whatever its number of users."""
    return {
        "rate_limits": RateLimitConfig(
            short_window=WINDOW, short_base=SHORT_LIMIT, short_per_user=0
        )
    }


async def _limited_burst(polar: Polar, freezer: FrozenDateTimeFactory) -> tuple[set[str], Hit]:
    """Workouts until AccessLink says 429, a burst while limited, then time past the reset."""
    made: set[str] = set()
    while not any(h.status == 429 for h in polar.hits):
        assert len(made) < SHORT_LIMIT, "the simulator never rate-limited"
        made.add(await polar.workout())
        await polar.settle()
    limited = next(h for h in polar.hits if h.status == 429)
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
    assert len(paths) == len(set(paths)), paths
    assert all(h.status < 300 for h in after), after
    assert not [path for path in paths if path.startswith("/v3/exercises/")], paths
    polar.assert_exactly_once(made)
    assert errors_in_log(caplog) == []
