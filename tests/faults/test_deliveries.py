"""Duplicate, out-of-order and dropped deliveries: every exercise is published exactly once."""

from __future__ import annotations

from datetime import timedelta
import json

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import ALICE, BOB, Polar, errors_in_log


@pytest.mark.timeout(30)
async def test_duplicate_deliveries(
    polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Every notice arrives twice: one fetch and one event per exercise."""
    await polar.ctl("POST", "/delivery-faults", {"kind": "duplicate", "count": 5})
    ids = {await polar.workout() for _ in range(5)}
    await polar.settle()

    pushes = [d for d in (await polar.ctl("GET", "/deliveries?kind=push"))["deliveries"] if d["ok"]]
    assert len(pushes) == 10
    polar.assert_exactly_once(ids)
    assert len(polar.api_hits("/v3/exercises/")) == 5
    assert alice.runtime_data.coordinator.stats["exercise"].duplicates == 5
    assert errors_in_log(caplog) == []


@pytest.mark.timeout(30)
async def test_out_of_order_deliveries(
    polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Notices held and sent newest first, interleaved with two accounts."""
    await polar.add_account(BOB)
    await polar.ctl("POST", "/delivery-faults", {"kind": "reorder", "count": 6})
    made = [await polar.workout(user) for user in (ALICE, BOB, ALICE, BOB, ALICE, BOB)]
    await polar.settle()

    pushes = (await polar.ctl("GET", "/deliveries?kind=push"))["deliveries"]
    sent = [json.loads(d["body"])["entity_id"] for d in pushes if d["ok"]]
    assert sent == made[::-1]  # the simulator held all six and sent them newest first
    polar.assert_exactly_once(set(made))
    assert len(polar.api_hits("/v3/exercises/")) == 6
    assert errors_in_log(caplog) == []


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(30)
async def test_dropped_deliveries_caught_up(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Dropped notices cost latency, never data: the 6 h reconcile publishes them once."""
    await polar.ctl("POST", "/delivery-faults", {"kind": "drop", "count": 3})
    dropped = {await polar.workout() for _ in range(3)}
    pushed = {await polar.workout() for _ in range(2)}
    await polar.settle()
    polar.assert_exactly_once(pushed)

    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(polar.hass)
    await polar.settle()

    polar.assert_exactly_once(pushed | dropped)
    # Only the two pushed ones were fetched one by one; the dropped ones came with the list.
    assert len(polar.api_hits("/v3/exercises/")) == 2
    assert errors_in_log(caplog) == []
