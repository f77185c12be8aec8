"""What a full backfill costs one account at the simulator, and how long it takes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.polar_flow.backfill import PAUSE, START_DELAY

from .conftest import ALICE, Polar

# The deep listings: 13 ranges of activity, one cardio load period, one heart rate range.
FULL_BACKFILL = 15


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(60)
async def test_a_full_backfill_costs_fifteen_requests(
    freezer: FrozenDateTimeFactory, polar: Polar, alice: MockConfigEntry
) -> None:
    """A year of activity and heart rate at Polar: counted per endpoint, timed on HA's clock."""
    await polar.ctl("POST", f"/users/{ALICE}/history", {"days": 363})
    start = len(polar.hits)
    backfill = alice.runtime_data.coordinator.backfill
    waited = 0.0
    for delay in (START_DELAY, *(PAUSE for _ in range(3 * FULL_BACKFILL))):
        if all(kind["state"] == "done" for kind in backfill.diagnostics()["kinds"].values()):
            break
        freezer.tick(timedelta(seconds=delay))
        async_fire_time_changed(polar.hass)
        await polar.settle(rounds=1)
        waited += delay

    progress = backfill.diagnostics()
    account = [hit for hit in polar.hits[start:] if hit.authorization.startswith("Bearer")]
    per_endpoint = Counter(f"{hit.method} {hit.path}" for hit in account)
    print(f"\nBackfill of one account: {len(account)} requests in {waited:.0f} s")  # noqa: T201
    for endpoint, count in sorted(per_endpoint.items()):
        print(f"  {count:3}  {endpoint}")  # noqa: T201
    print(f"  {progress}")  # noqa: T201
    assert all(kind["state"] == "done" for kind in progress["kinds"].values()), progress
    assert all(hit.status < 400 for hit in account), per_endpoint
    assert len(account) == FULL_BACKFILL, per_endpoint
    history = alice.runtime_data.coordinator.history.counts()
    # Every day synced before today: a year of activity, 28 days of heart rate.
    assert history["activity"] == 363
    assert history["continuous_heart_rate"] == 27
