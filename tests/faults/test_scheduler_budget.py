"""Tight limits at the simulator: the client's accounts never meet a 429, and pushes go first."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import re

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.polar_flow.const import RECONCILE_INTERVAL

from .conftest import ALICE, BOB, Hit, Polar, errors_in_log

CAROL = 10000003
SHORT_LIMIT = 30
WINDOW = 120.0
# A keyed fetch: an exercise by id, a date, a SleepWise period.
_KEYED = re.compile(r"^/v3/(exercises/[^/]+|users/.+/(\d{4}-\d{2}-\d{2}|date))$")
_FOLLOW_UPS = ("/v3/users/cardio-load/", "/v3/users/nightly-recharge/")


async def settle(polar: Polar) -> None:
    """Let deliveries and the requests that may go now finish; listings may wait for turns.

    Not Polar.settle nor async_block_till_done: they wait for the reconciles, which wait
    for their turns.
    """
    await polar.ctl("POST", "/deliveries/wait", {"timeout": 10})
    for _ in range(10):
        await asyncio.sleep(0.02)


def pushed(hit: Hit) -> bool:
    """Return whether a request fetched an item Polar pushed a notice for."""
    return bool(_KEYED.match(hit.path)) and not hit.path.startswith(_FOLLOW_UPS)


def listing(hit: Hit) -> bool:
    """Return whether a request listed a kind's recent items."""
    return not _KEYED.match(hit.path)


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(90)
async def test_tight_limits_cause_no_429_and_pushes_go_first(
    freezer: FrozenDateTimeFactory, polar: Polar, caplog: pytest.LogCaptureFixture
) -> None:
    """30 requests per 2 minutes for three accounts: a reconcile and a day of pushes each."""
    for user_id in (ALICE, BOB, CAROL):
        await polar.add_account(user_id)
    # The test server's router is frozen before the calendar platform loads: not under test.
    caplog.clear()
    await polar.ctl(
        "PATCH",
        "/rate-limits",
        {"short_base": SHORT_LIMIT, "short_per_user": 0, "short_window": WINDOW},
    )
    start = len(polar.hits)

    # Every account's reconcile is due: 27 listings, more than the background share allows.
    freezer.tick(RECONCILE_INTERVAL)
    async_fire_time_changed(polar.hass)
    await settle(polar)
    listed_first = len([hit for hit in polar.hits[start:] if listing(hit)])
    # Then a day of pushed data for each: a workout, a night, activity, SleepWise, a weight...
    pushes_from = len(polar.hits)
    workouts: set[str] = set()
    for user_id in (ALICE, BOB, CAROL):
        day = await polar.ctl("POST", f"/users/{user_id}/day", {})
        workouts.add(str(day["exercise"]["id"]))
    await settle(polar)
    for _ in range(int(12 * WINDOW / 10)):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(polar.hass)
        await settle(polar)
    await settle(polar)

    hits = polar.hits[start:]
    assert [hit for hit in hits if hit.status == 429] == []
    assert all(hit.status < 400 for hit in hits), [h for h in hits if h.status >= 400]
    later = polar.hits[pushes_from:]
    push_fetches = [hit for hit in later if pushed(hit)]
    listings = [hit for hit in later if listing(hit)]
    print(  # noqa: T201
        f"\n{len(hits)} requests, {listed_first} listings before the pushes,"
        f" {len(push_fetches)} pushed items and {len(listings)} listings after them"
    )
    assert push_fetches
    # The reconcile had to wait for later windows, and every pushed item went before it ended.
    assert listed_first < 27 <= listed_first + len(listings)
    assert max(hit.at for hit in push_fetches) < max(hit.at for hit in listings)
    assert len(set(polar.published)) == len(polar.published)
    assert workouts <= set(polar.published)
    assert errors_in_log(caplog) == []
