"""AccessLink unreachable while Home Assistant starts: setup retries, then recovers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from homeassistant.config_entries import ConfigEntryState

from accesslink_sim.app import SimServer

from .conftest import ALICE, Hit, Polar, errors_in_log, record_hits, sim_config


@pytest.fixture
def sim_settings(tmp_path: Path) -> dict[str, Any]:
    """Persist the simulator's world so that a second instance can take over."""
    return {"state_file": tmp_path / "sim.state.json"}


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(40)
async def test_simulator_down_at_start(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    hits: list[Hit],
    sim_settings: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SETUP_RETRY while nothing answers; LOADED with push working once AccessLink is back."""
    entry = await polar.add_account(ALICE, setup=False)
    port = urlsplit(polar.url).port
    await polar.server.stop()

    await polar.hass.config_entries.async_setup(entry.entry_id)
    await polar.hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    server = SimServer(sim_config(port=port, **sim_settings))
    record_hits(server, hits)
    await server.start()
    polar.server = server
    try:
        freezer.tick(timedelta(seconds=30))  # the first retry comes after 10-11 s
        async_fire_time_changed(polar.hass)
        await polar.settle()
        assert entry.state is ConfigEntryState.LOADED
        assert (await polar.webhook())["active"] is True
        made = {await polar.workout() for _ in range(3)}
        await polar.settle()
        polar.assert_exactly_once(made)
        assert errors_in_log(caplog) == []
    finally:
        if entry.state is ConfigEntryState.LOADED:
            await polar.hass.config_entries.async_unload(entry.entry_id)
        await server.stop()
