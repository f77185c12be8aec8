"""One AccessLink client's request budget: Polar's two windows, shared by lanes of work.

Polar limits a client, not an account, to 500 + 20 x users requests per 15 minutes and
5,000 + 100 x users per 24 hours, and tells the usage in RateLimit-* headers. The budget
counts what is sent, adopts the headers of each answer, and tells each lane of work when it
may send: pushed items at once up to the limit, everything else within a reserve kept for
pushes, and background work (listings, backfill) paced over the day by a token bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
import math
from typing import Final

from .ratelimit import RateLimit

SHORT_WINDOW: Final = 900.0
LONG_WINDOW: Final = 86400.0
SHORT_BASE, SHORT_PER_USER = 500, 20
LONG_BASE, LONG_PER_USER = 5000, 100
# The share of each window that only pushed items (and half of it follow-ups) may use.
PUSH_RESERVE: Final = 0.2
# Background work may use at most this share of the short window's limit.
BACKFILL_SHORT_SHARE: Final = 0.5
# The shortest wait told: a clock's resolution must not turn a tiny one into a busy loop.
MIN_WAIT: Final = 0.05
# Seconds added to the reset AccessLink tells before a window counts as new.
RESET_MARGIN: Final = 2.0


class Lane(IntEnum):
    """Kinds of work, the most urgent first."""

    # An item Polar pushed a notice for.
    PUSH = 0
    # An item another one brought along: the cardio load of a workout's day.
    FOLLOW_UP = 1
    # Listings of recent items: the reconcile, polling, daily listings.
    CATCH_UP = 2
    # Deep listings into the history.
    BACKFILL = 3


def formula_limits(users: int) -> tuple[int, int]:
    """Return Polar's (short, long) limits for a client with that many users."""
    users = max(users, 1)
    return SHORT_BASE + SHORT_PER_USER * users, LONG_BASE + LONG_PER_USER * users


@dataclass(slots=True)
class Window:
    """What is known of one window: its limit, the requests counted, when it resets."""

    length: float
    limit: int
    used: int = 0
    reset_at: float = 0.0

    def roll(self, now: float) -> bool:
        """Start counting anew once the window has reset; return whether it did."""
        if now < self.reset_at:
            return False
        self.used = 0
        self.reset_at = now + self.length
        return True

    def reserve(self) -> int:
        """Return how many requests of the window are kept for pushed items."""
        return math.ceil(self.limit * PUSH_RESERVE)

    def room(self, cap: int) -> bool:
        """Return whether one more request stays within cap."""
        return self.used + 1 <= cap

    def adopt(self, usage: int, limit: int, reset: float, now: float, in_flight: int) -> None:
        """Take AccessLink's count; within the same window never count less than before."""
        # Whole seconds, read after the answer, by another clock: counted as a little later.
        reset_at = now + reset + RESET_MARGIN
        same = reset_at <= self.reset_at + 1 and self.reset_at > now
        # Requests still under way may not be in the answer's count: counted as used.
        counted = usage + in_flight
        self.used = max(self.used, counted) if same else counted
        self.limit = limit
        self.reset_at = reset_at


class RateBudget:
    """Decide when a request of each lane may go, so that the client never exceeds a limit."""

    def __init__(self, users: Callable[[], int], clock: Callable[[], float]) -> None:
        """Budget for a client with users() accounts; clock() gives seconds."""
        self._users = users
        self._clock = clock
        short, long = formula_limits(users())
        now = clock()
        self.short = Window(SHORT_WINDOW, short, reset_at=now + SHORT_WINDOW)
        self.long = Window(LONG_WINDOW, long, reset_at=now + LONG_WINDOW)
        self.in_flight = 0
        self.not_before = 0.0
        # Nothing is known of the usage before the first answer (of the client, or of a window
        # rolled over): one request at a time.
        self.answered = False
        # From the headers: the limits are Polar's, no longer the formula's.
        self.from_headers = False
        self.tokens = float(self.capacity)
        self._filled_at = now
        self.sent: dict[Lane, int] = dict.fromkeys(Lane, 0)

    @property
    def capacity(self) -> int:
        """Return how many background requests may go in one burst: half the short share."""
        return max(1, (self.short.limit - self.short.reserve()) // 2)

    @property
    def refill_rate(self) -> float:
        """Return background requests per second: the long window's share spread over a day."""
        return (self.long.limit - self.long.reserve()) / LONG_WINDOW

    def _update(self, now: float) -> None:
        """Roll the windows, refill the bucket, follow the user count until headers tell."""
        if not self.from_headers:
            self.short.limit, self.long.limit = formula_limits(self._users())
        rolled = self.short.roll(now)
        rolled = self.long.roll(now) or rolled
        if rolled and self.from_headers:
            # The reset told is in whole seconds and read after the answer: requests sent just
            # before it may count in AccessLink's new window. One at a time until an answer
            # tells the new window's usage.
            self.answered = False
        elapsed = max(0.0, now - self._filled_at)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.refill_rate)
        self._filled_at = now

    def delay(self, lane: Lane) -> float:
        """Return 0 when a request of lane may go now, else the seconds to wait (inf: an answer)."""
        now = self._clock()
        self._update(now)
        if self.not_before > now:
            return max(self.not_before - now, MIN_WAIT)
        if not self.answered and self.in_flight:
            return math.inf
        windows = (self.short, self.long)
        if lane is Lane.PUSH:
            caps = [w.limit for w in windows]
        elif lane is Lane.FOLLOW_UP:
            caps = [w.limit - (w.reserve() + 1) // 2 for w in windows]
        else:
            caps = [w.limit - w.reserve() for w in windows]
            if lane is Lane.BACKFILL:
                caps[0] = min(caps[0], int(self.short.limit * BACKFILL_SHORT_SHARE))
        full = [w for w, cap in zip(windows, caps, strict=True) if not w.room(cap)]
        if full:
            # In flight answers may lower the count; else the window's reset frees it.
            if self.in_flight:
                return math.inf
            return max(*(w.reset_at - now for w in full), MIN_WAIT)
        if lane >= Lane.CATCH_UP and self.tokens < 1:
            return max((1 - self.tokens) / self.refill_rate, MIN_WAIT)
        return 0.0

    def spend(self, lane: Lane) -> None:
        """Count a request that goes now."""
        self._update(self._clock())
        self.in_flight += 1
        self.short.used += 1
        self.long.used += 1
        self.sent[lane] += 1
        if lane >= Lane.CATCH_UP:
            self.tokens -= 1

    def settle(self, rate_limit: RateLimit | None) -> None:
        """Count an answer (or a failure), and adopt AccessLink's count when it told one."""
        now = self._clock()
        self.in_flight = max(0, self.in_flight - 1)
        self.answered = True
        if rate_limit is None:
            return
        self.from_headers = True
        self._update(now)
        self.short.adopt(
            rate_limit.usage_short,
            rate_limit.limit_short,
            rate_limit.reset_short,
            now,
            self.in_flight,
        )
        self.long.adopt(
            rate_limit.usage_long, rate_limit.limit_long, rate_limit.reset_long, now, self.in_flight
        )

    def rate_limited(self, retry_after: float) -> None:
        """Send nothing until AccessLink takes requests again."""
        self.not_before = max(self.not_before, self._clock() + max(retry_after, 1.0))

    def wait(self) -> float:
        """Return the seconds until AccessLink takes requests again after a 429."""
        return max(0.0, self.not_before - self._clock())
