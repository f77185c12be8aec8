"""The request budget of one client: lanes, reserve, pacing, the headers, the 429 wait."""

from __future__ import annotations

import math

import pytest

from custom_components.polar_flow.accesslink import RateLimit
from custom_components.polar_flow.accesslink.budget import (
    LONG_WINDOW,
    RESET_MARGIN,
    Lane,
    RateBudget,
    formula_limits,
)


class FakeClock:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1_000_000.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


def answered(budget: RateBudget, lane: Lane = Lane.PUSH) -> None:
    """Send one request and take its answer without headers."""
    assert budget.delay(lane) == 0
    budget.spend(lane)
    budget.settle(None)


def headers(usage: int, limit: int, reset: int = 600) -> RateLimit:
    """Return a reading of the short window (the long one far from its limit)."""
    return RateLimit(usage, 10, limit, 100_000, reset, 80_000)


def test_the_formula_before_any_answer() -> None:
    """Polar's formula with the accounts here; one request at a time until one is answered."""
    users = [3]
    budget = RateBudget(lambda: users[0], FakeClock())
    assert (budget.short.limit, budget.long.limit) == formula_limits(3) == (560, 5300)
    budget.spend(Lane.CATCH_UP)
    assert budget.delay(Lane.PUSH) == math.inf
    budget.settle(None)
    assert budget.delay(Lane.PUSH) == 0
    users[0] = 1000
    assert budget.delay(Lane.PUSH) == 0
    assert (budget.short.limit, budget.long.limit) == (20_500, 105_000)


def test_lanes_stop_at_their_share_of_the_window() -> None:
    """Pushed items may use the whole window; follow-ups and background keep the reserve."""
    clock = FakeClock()
    budget = RateBudget(lambda: 1, clock)
    answered(budget)
    budget.spend(Lane.PUSH)
    budget.settle(headers(50, 100))
    # Reserve 20: background up to 80, follow-ups up to 90, backfill up to half (50).
    assert budget.delay(Lane.BACKFILL) == 600 + RESET_MARGIN
    assert budget.delay(Lane.CATCH_UP) == 0
    for _ in range(30):
        answered(budget, Lane.CATCH_UP)
    assert budget.delay(Lane.CATCH_UP) == 600 + RESET_MARGIN
    for _ in range(10):
        answered(budget, Lane.FOLLOW_UP)
    assert budget.delay(Lane.FOLLOW_UP) == 600 + RESET_MARGIN
    for _ in range(10):
        answered(budget, Lane.PUSH)
    assert budget.delay(Lane.PUSH) == 600 + RESET_MARGIN
    assert budget.sent == {Lane.PUSH: 12, Lane.FOLLOW_UP: 10, Lane.CATCH_UP: 30, Lane.BACKFILL: 0}
    clock.now += 600 + RESET_MARGIN
    assert budget.delay(Lane.BACKFILL) == 0


def test_the_answer_counts_what_is_still_under_way() -> None:
    """Headers of an answer count the requests still out; the same window never counts less."""
    budget = RateBudget(lambda: 1, FakeClock())
    answered(budget)
    for _ in range(3):
        budget.spend(Lane.PUSH)
    budget.settle(headers(40, 100))
    assert budget.short.used == 42
    budget.settle(headers(30, 100))
    assert budget.short.used == 42
    budget.settle(headers(43, 100, reset=590))
    assert budget.short.used == 43


def test_a_full_window_with_requests_out_waits_for_their_answers() -> None:
    """A window full while answers are due waits for them, then for its reset."""
    clock = FakeClock()
    budget = RateBudget(lambda: 1, clock)
    answered(budget)
    budget.spend(Lane.PUSH)
    budget.settle(headers(99, 100, reset=60))
    budget.spend(Lane.PUSH)
    assert budget.delay(Lane.PUSH) == math.inf
    budget.settle(None)
    assert budget.delay(Lane.PUSH) == 60 + RESET_MARGIN
    clock.now += 60 + RESET_MARGIN
    assert budget.delay(Lane.PUSH) == 0
    assert budget.short.used == 0


def test_a_new_window_sends_one_request_until_its_usage_is_told() -> None:
    """Past the reset, requests sent at its edge may count in the new window: one at a time."""
    clock = FakeClock()
    budget = RateBudget(lambda: 1, clock)
    answered(budget)
    budget.spend(Lane.PUSH)
    budget.settle(headers(29, 30, reset=60))
    clock.now += 60 + RESET_MARGIN
    assert budget.delay(Lane.PUSH) == 0
    budget.spend(Lane.PUSH)
    assert budget.delay(Lane.PUSH) == math.inf
    # AccessLink counted three already: two sent just before the reset it told.
    budget.settle(headers(3, 30, reset=119))
    assert budget.short.used == 3
    assert budget.delay(Lane.PUSH) == 0


def test_background_is_paced_over_the_day() -> None:
    """A burst of background work up to the bucket, then the day's share per second."""
    clock = FakeClock()
    budget = RateBudget(lambda: 1000, clock)
    answered(budget, Lane.CATCH_UP)
    burst = budget.capacity - 1
    for _ in range(burst):
        answered(budget, Lane.CATCH_UP)
    rate = budget.refill_rate
    assert rate == pytest.approx((105_000 - 21_000) / LONG_WINDOW)
    assert budget.delay(Lane.CATCH_UP) == pytest.approx(1 / rate)
    assert budget.delay(Lane.BACKFILL) == pytest.approx(1 / rate)
    # Pushed items and follow-ups are not paced.
    assert budget.delay(Lane.PUSH) == 0
    assert budget.delay(Lane.FOLLOW_UP) == 0
    clock.now += 1.01 / rate
    assert budget.delay(Lane.CATCH_UP) == 0


def test_a_429_holds_every_lane() -> None:
    """After a 429 nothing goes until the wait is over."""
    clock = FakeClock()
    budget = RateBudget(lambda: 1, clock)
    answered(budget)
    budget.rate_limited(0.2)
    assert budget.wait() == 1.0
    assert budget.delay(Lane.PUSH) == 1.0
    clock.now += 1
    assert budget.wait() == 0
    assert budget.delay(Lane.PUSH) == 0
