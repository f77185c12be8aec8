"""One scheduler per AccessLink client: every request of its accounts takes a turn from it.

Turns go by lane (pushed items, follow-ups, listings, backfill), each lane first come, first
served, within the client's rate budget (accesslink.budget) and a few requests per account at
once. A pushed item never waits behind background work; background work waits for the budget.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any, Final, Self
from weakref import WeakKeyDictionary

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .accesslink import AccessLinkClient, AccessLinkUser, RateLimit
from .accesslink.budget import Lane, RateBudget
from .const import DOMAIN

# Requests at once per account and lane: a follow-up never holds a pushed item's place.
ACCOUNT_LANE_LIMITS: Final = {Lane.PUSH: 4, Lane.FOLLOW_UP: 1}

__all__ = ["ClientScheduler", "Lane", "Turn"]


class Turn:
    """A granted request of one account: released once its answer (or failure) is in."""

    def __init__(self, scheduler: ClientScheduler, lane: Lane, user: AccessLinkUser) -> None:
        """Hold a turn of lane for user."""
        self._scheduler = scheduler
        self.lane = lane
        self.user = user
        self._released = False

    def __enter__(self) -> Self:
        """Make the request."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Count the answer."""
        self.release()

    def release(self) -> None:
        """Count the answer once, and give the next turns."""
        if not self._released:
            self._released = True
            self._scheduler.async_finish(self)


@dataclass(slots=True)
class _Waiter:
    """A request waiting for its turn."""

    user: AccessLinkUser
    on_turn: Callable[[Turn], None]


class ClientScheduler:
    """Give the requests of one AccessLink client's accounts their turns, most urgent first."""

    def __init__(self, hass: HomeAssistant, users: Callable[[], int]) -> None:
        """Schedule for a client with users() accounts here."""
        self._hass = hass
        # The time a wake-up was due: the windows it waited for have reset by then.
        self._woken_at = 0.0
        self.budget = RateBudget(users, self._now)
        self._queues: dict[Lane, deque[_Waiter]] = {lane: deque() for lane in Lane}
        self._running: dict[tuple[Lane, int], int] = {}
        self._seen: WeakKeyDictionary[AccessLinkClient, RateLimit] = WeakKeyDictionary()
        self._wake: CALLBACK_TYPE | None = None
        self._wake_at = math.inf
        self._job = HassJob(self._async_woken, f"{DOMAIN} scheduler", cancel_on_shutdown=True)

    @property
    def rate_limit_wait(self) -> float:
        """Return the seconds until AccessLink takes requests again after a 429."""
        return self.budget.wait()

    @callback
    def async_rate_limited(self, retry_after: float) -> None:
        """Ask nothing of AccessLink for any account until it takes requests again."""
        self.budget.rate_limited(retry_after)
        self._async_dispatch()

    @callback
    def async_reserve(
        self, lane: Lane, user: AccessLinkUser, on_turn: Callable[[Turn], None]
    ) -> CALLBACK_TYPE:
        """Call on_turn with the turn once it is given (maybe at once); return the cancel."""
        waiter = _Waiter(user, on_turn)
        queue = self._queues[lane]
        queue.append(waiter)

        @callback
        def _async_cancel() -> None:
            """Give up waiting; a turn already given is the holder's to release."""
            with contextlib.suppress(ValueError):
                queue.remove(waiter)

        self._async_dispatch()
        return _async_cancel

    async def async_take(self, lane: Lane, user: AccessLinkUser) -> Turn:
        """Wait for a turn of lane; the caller releases it (`with turn:`)."""
        granted: asyncio.Future[Turn] = self._hass.loop.create_future()
        cancel = self.async_reserve(lane, user, granted.set_result)
        try:
            return await asyncio.shield(granted)
        except asyncio.CancelledError:
            cancel()
            if granted.done():
                granted.result().release()
            raise

    @callback
    def async_finish(self, turn: Turn) -> None:
        """Count an answer, adopting the headers it brought, and give the next turns."""
        key = (turn.lane, turn.user.user_id)
        if (running := self._running[key] - 1) > 0:
            self._running[key] = running
        else:
            del self._running[key]
        client = turn.user.client
        rate_limit = client.rate_limit
        if rate_limit is not None and self._seen.get(client) is not rate_limit:
            self._seen[client] = rate_limit
            self.budget.settle(rate_limit)
        else:
            self.budget.settle(None)
        self._async_dispatch()

    def _has_room(self, lane: Lane, account: int) -> bool:
        """Return whether an account may start one more request of a lane."""
        limit = ACCOUNT_LANE_LIMITS.get(lane)
        return limit is None or self._running.get((lane, account), 0) < limit

    @callback
    def _async_dispatch(self) -> None:
        """Give turns, most urgent lane first, as long as the budget allows."""
        for lane in Lane:
            queue = self._queues[lane]
            while queue:
                waiter = next((w for w in queue if self._has_room(lane, w.user.user_id)), None)
                if waiter is None:
                    break
                if (delay := self.budget.delay(lane)) > 0:
                    # Less urgent lanes are held at least as tightly.
                    self._async_wake_in(delay)
                    return
                queue.remove(waiter)
                self.budget.spend(lane)
                key = (lane, waiter.user.user_id)
                self._running[key] = self._running.get(key, 0) + 1
                waiter.on_turn(Turn(self, lane, waiter.user))

    @callback
    def _async_wake_in(self, delay: float) -> None:
        """Dispatch again after delay seconds; an answer under way dispatches anyway."""
        if math.isinf(delay):
            return
        wake_at = self._now() + delay
        if self._wake is not None:
            if self._wake_at <= wake_at:
                return
            self._wake()
        self._wake_at = wake_at
        self._wake = async_call_later(self._hass, delay, self._job)

    def _now(self) -> float:
        """Return Home Assistant's clock in seconds, never earlier than the last wake-up."""
        return max(dt_util.utcnow().timestamp(), self._woken_at)

    @callback
    def _async_woken(self, now: datetime) -> None:
        """Dispatch once the budget may allow more."""
        self._woken_at = max(self._woken_at, now.timestamp())
        self._wake = None
        self._wake_at = math.inf
        self._async_dispatch()

    @callback
    def async_stop(self) -> None:
        """Cancel the timer; waiting requests are cancelled with their tasks."""
        if self._wake is not None:
            self._wake()
            self._wake = None

    def diagnostics(self) -> dict[str, Any]:
        """Return the budget as known and the requests sent and waiting per lane."""
        budget = self.budget
        return {
            "limits": [budget.short.limit, budget.long.limit],
            "used": [budget.short.used, budget.long.used],
            "from_headers": budget.from_headers,
            "in_flight": budget.in_flight,
            "sent": {lane.name.lower(): count for lane, count in budget.sent.items()},
            "waiting": {lane.name.lower(): len(queue) for lane, queue in self._queues.items()},
        }
