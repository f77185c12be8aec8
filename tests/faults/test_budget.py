"""A typical day of one account costs a small, known number of AccessLink requests."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
import re

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import ALICE, Polar

# Polar adds 100 requests a day to a client's budget for each registered user (5000 + 100 x users):
# an account must cost less than that share, whatever the base allowance of the client.
PER_USER_DAILY_SHARE = 100
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _endpoint(path: str) -> str:
    """Return a path with its date or exercise id replaced by a placeholder."""
    head, _, last = path.rpartition("/")
    if _DATE.fullmatch(last) or head == "/v3/exercises":
        return f"{head}/{{key}}"
    return path


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(60)
async def test_a_typical_day_stays_within_the_per_user_share(
    freezer: FrozenDateTimeFactory, polar: Polar, alice: MockConfigEntry
) -> None:
    """A day of pushes plus the 6-hourly reconciles, counted at the simulator, per endpoint."""
    start = len(polar.hits)
    # A night, SleepWise, three activity syncs, a workout, heart rate and a weight change, each
    # pushed; then SleepWise updates once more in the evening.
    await polar.ctl("POST", f"/users/{ALICE}/day", {})
    await polar.settle()
    for hour in range(25):  # a day and the first hour after: the daily listings fall inside
        if hour == 12:
            await polar.ctl("POST", f"/users/{ALICE}/sleepwise", {})
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(polar.hass)
        await polar.settle()

    account = [hit for hit in polar.hits[start:] if hit.authorization.startswith("Bearer")]
    per_endpoint = Counter(f"{hit.method} {_endpoint(hit.path)}" for hit in account)
    print(f"\nAccessLink requests of one account in a typical day: {len(account)}")  # noqa: T201
    for endpoint, count in sorted(per_endpoint.items()):
        print(f"  {count:3}  {endpoint}")  # noqa: T201
    assert all(hit.status < 400 for hit in account), per_endpoint
    assert len(account) < PER_USER_DAILY_SHARE, per_endpoint
