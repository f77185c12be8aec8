"""Token revoked at Polar, and the entry reloaded in the middle of a burst."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState

from custom_components.polar_flow.const import DOMAIN

from .conftest import ALICE, Polar, errors_in_log


async def _tick(polar: Polar, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(polar.hass)
    await polar.settle()


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(30)
async def test_revoked_token_starts_reauth_once(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One 401, one reauth flow; further notices and a day of timers make no user request."""
    assert (await polar.ctl("POST", f"/users/{ALICE}/revoke", {}))["revoked"] >= 1
    start = len(polar.hits)
    for _ in range(4):
        await polar.workout()
        await polar.settle()
    user_hits = [h for h in polar.hits[start:] if h.authorization.startswith("Bearer")]
    assert [(h.path.startswith("/v3/exercises/"), h.status) for h in user_hits] == [(True, 401)]

    for _ in range(4):  # 24 h: reconcile and health-check timers
        await _tick(polar, freezer, timedelta(hours=6, seconds=1))
    user_hits = [h for h in polar.hits[start:] if h.authorization.startswith("Bearer")]
    # At most the one 6 h reconcile, which also answers 401 and stops the timer.
    assert len(user_hits) <= 2
    assert all(h.status == 401 for h in user_hits)
    late = [h for h in polar.hits if h.at > user_hits[-1].at + 6 * 3600]
    assert all(not h.authorization.startswith("Bearer") for h in late)

    flows = polar.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert polar.published == []
    # DataUpdateCoordinator reports the failed refresh once; the reauth flow is what users act on.
    assert [e for e in errors_in_log(caplog) if "Authentication failed" not in e] == []


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(40)
async def test_reload_in_the_middle_of_a_burst(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unload and set up again while 30 notices are being pushed: each published exactly once.

    An in-process unload/reload of the config entry stands in for a restart of Home Assistant
    (storage is flushed on unload and read back on setup, as across a real restart).
    """
    made: list[str] = []
    tenth = asyncio.Event()

    async def burst() -> None:
        for _ in range(30):
            made.append(await polar.workout())
            if len(made) == 10:
                tenth.set()
            await asyncio.sleep(0.005)

    async def reload() -> None:
        await tenth.wait()
        assert await polar.hass.config_entries.async_reload(alice.entry_id)

    await asyncio.gather(burst(), reload())
    await polar.settle()
    assert alice.state is ConfigEntryState.LOADED
    # Notices that reached Home Assistant while the webhook was unregistered are caught up by
    # the setup's listing or, at the latest, the 6 h reconcile.
    await _tick(polar, freezer, timedelta(hours=6, seconds=1))
    polar.assert_exactly_once(set(made))
    assert errors_in_log(caplog) == []
