"""AccessLink rate-limit headers: RateLimit-Usage, -Limit and -Reset, each "short, long"."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import email.utils
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_RETRY_AFTER = 60.0

HEADER_USAGE = "RateLimit-Usage"
HEADER_LIMIT = "RateLimit-Limit"
HEADER_RESET = "RateLimit-Reset"
HEADER_RETRY_AFTER = "Retry-After"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up case-insensitively in any mapping."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _values(headers: Mapping[str, str], name: str) -> tuple[int, ...] | None:
    """Parse a comma-separated list of non-negative integers from a header."""
    raw = _header(headers, name)
    if raw is None:
        return None
    parts = [part.strip() for part in raw.split(",")]
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Usage, limits and seconds until reset of the short (15 min) and long (24 h) windows."""

    usage_short: int
    usage_long: int
    limit_short: int
    limit_long: int
    reset_short: int
    reset_long: int

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """Build from response headers; None unless all three headers hold two integers."""
        usage = _values(headers, HEADER_USAGE)
        limit = _values(headers, HEADER_LIMIT)
        reset = _values(headers, HEADER_RESET)
        if usage is None or limit is None or reset is None:
            return None
        if not len(usage) == len(limit) == len(reset) == 2:
            return None
        return cls(usage[0], usage[1], limit[0], limit[1], reset[0], reset[1])

    @property
    def exhausted(self) -> bool:
        """Return whether either window has used up its limit."""
        return self.usage_short >= self.limit_short or self.usage_long >= self.limit_long


def _reset_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds until the exhausted window resets, else until the later reset."""
    reset = _values(headers, HEADER_RESET)
    if not reset:
        return None
    usage = _values(headers, HEADER_USAGE)
    limit = _values(headers, HEADER_LIMIT)
    if usage is not None and limit is not None and len(usage) == len(limit) == len(reset):
        spent = [r for r, u, lim in zip(reset, usage, limit, strict=True) if u >= lim]
        if spent:
            return float(max(spent))
    return float(max(reset))


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    """Parse Retry-After as delta seconds or as an HTTP date."""
    raw = _header(headers, HEADER_RETRY_AFTER)
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except TypeError, ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def retry_after_seconds(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a 429: RateLimit-Reset, else Retry-After, else 60."""
    for seconds in (_reset_seconds(headers), _retry_after_header(headers)):
        if seconds is not None:
            return seconds
    return DEFAULT_RETRY_AFTER
