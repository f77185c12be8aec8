"""What the accounts of one AccessLink client share: the bound on pending fetches."""

from __future__ import annotations

from typing import Final

# Shared by every account of a client: fetches spend the client's rate limit at Polar.
MAX_PENDING_FETCHES: Final = 16


class PendingFetches:
    """Count the fetches an AccessLink client has pending: queued, running or waiting to retry."""

    def __init__(self, limit: int = MAX_PENDING_FETCHES) -> None:
        """Allow up to limit fetches at once."""
        self.limit = limit
        self.count = 0

    def try_reserve(self) -> bool:
        """Take a place for one more fetch; False when every place is taken."""
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def release(self) -> None:
        """Give back the place of a finished fetch."""
        self.count = max(0, self.count - 1)
