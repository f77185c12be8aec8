"""The slow reconcile timer bounds how late a lost push is caught up."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import Polar


async def _tick(polar: Polar, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(polar.hass)
    await polar.settle()


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(30)
async def test_lost_push_caught_up_within_reconcile_interval(
    freezer: FrozenDateTimeFactory, polar: Polar, alice: MockConfigEntry
) -> None:
    """A notice lost at +1 h is published by +7 h even though other pushes keep arriving."""
    await _tick(polar, freezer, timedelta(hours=1))
    await polar.ctl("POST", "/delivery-faults", {"kind": "drop", "count": 1})
    lost = await polar.workout()
    for _ in range(3):  # a push every 2 h
        await _tick(polar, freezer, timedelta(hours=2))
        await polar.workout()
    await _tick(polar, freezer, timedelta(minutes=1))  # now +7 h 1 min
    assert lost in polar.published
