"""A wall clock that tests can move forward (codes, webhook deactivation, rate windows)."""

from __future__ import annotations

from datetime import UTC, datetime
import time


class Clock:
    """Real time plus an adjustable offset, in epoch seconds."""

    def __init__(self, offset: float = 0.0) -> None:
        """Start at real time plus offset seconds."""
        self.offset = offset

    def now(self) -> float:
        """Return the simulated time as epoch seconds."""
        return time.time() + self.offset

    def now_dt(self) -> datetime:
        """Return the simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, if negative)."""
        self.offset += seconds

    def set(self, when: datetime) -> None:
        """Jump to an absolute moment."""
        self.offset = when.timestamp() - time.time()


def iso_z(ts: float, *, millis: bool = False) -> str:
    """Format epoch seconds as UTC ISO-8601 with a Z suffix."""
    dt = datetime.fromtimestamp(ts, UTC)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
