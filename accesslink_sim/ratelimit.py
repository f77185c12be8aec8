"""Per-client request windows and the RateLimit-* headers."""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import RateLimitConfig


@dataclass(slots=True)
class Window:
    """A fixed window that starts with its first request."""

    length: float
    start: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        """Begin a new window once the current one has passed."""
        if now >= self.start + self.length:
            self.start, self.used = now, 0

    def reset_in(self, now: float) -> int:
        """Return whole seconds until the window resets."""
        return max(0, math.ceil(self.start + self.length - now))


@dataclass(slots=True)
class Quota:
    """The short and long window of one client."""

    short: Window
    long: Window
    limited: int = field(default=0)


@dataclass(slots=True)
class Verdict:
    """The outcome of one request against the limits, with its headers."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Counts requests per client in two windows."""

    def __init__(self, config: RateLimitConfig) -> None:
        """Use the given window sizes and limits."""
        self.config = config
        self.quotas: dict[str, Quota] = {}

    def limits(self, users: int) -> tuple[int, int]:
        """Return (short, long) limits for a client with that many registered users."""
        c = self.config
        return c.short_base + c.short_per_user * users, c.long_base + c.long_per_user * users

    def _quota(self, client_id: str) -> Quota:
        """Return the quota of a client, creating it."""
        quota = self.quotas.get(client_id)
        if quota is None:
            quota = Quota(Window(self.config.short_window), Window(self.config.long_window))
            self.quotas[client_id] = quota
        return quota

    def hit(self, client_id: str | None, users: int, now: float) -> Verdict:
        """Count one request (when attributable to a client) and decide whether it may pass."""
        short_limit, long_limit = self.limits(users)
        if client_id is None:
            headers = _headers((0, 0), (short_limit, long_limit), (0, 0))
            return Verdict(allowed=True, headers=headers)
        quota = self._quota(client_id)
        quota.short.roll(now)
        quota.long.roll(now)
        allowed = quota.short.used < short_limit and quota.long.used < long_limit
        if allowed:
            quota.short.used += 1
            quota.long.used += 1
        else:
            quota.limited += 1
        headers = _headers(
            (quota.short.used, quota.long.used),
            (short_limit, long_limit),
            (quota.short.reset_in(now), quota.long.reset_in(now)),
        )
        return Verdict(allowed=allowed, headers=headers)

    def reset(self) -> None:
        """Forget all counts."""
        self.quotas.clear()


def _headers(
    used: tuple[int, int], limits: tuple[int, int], resets: tuple[int, int]
) -> dict[str, str]:
    """Return the three RateLimit headers, each "short, long"."""
    return {
        "RateLimit-Usage": f"{used[0]}, {used[1]}",
        "RateLimit-Limit": f"{limits[0]}, {limits[1]}",
        "RateLimit-Reset": f"{resets[0]}, {resets[1]}",
    }
