"""What the accounts of one AccessLink client share: the bound on pending fetches."""

from __future__ import annotations

from typing import Final

from .accesslink.budget import Lane

# Shared by every account of a client: fetches spend the client's rate limit at Polar.
MAX_PENDING_FETCHES: Final = 16
# Places only pushed items may take: the fetches that follow them (a workout's day's cardio
# load, asked again while Polar has not computed it) never fill the bound.
KEPT_FOR_PUSH: Final = MAX_PENDING_FETCHES // 2


class PendingFetches:
    """Count the fetches an AccessLink client has pending: queued, running or waiting to retry."""

    def __init__(
        self, limit: int = MAX_PENDING_FETCHES, kept_for_push: int = KEPT_FOR_PUSH
    ) -> None:
        """Allow up to limit fetches at once, the last kept_for_push of them for pushed items."""
        self.limit = limit
        self.kept_for_push = kept_for_push
        self.count = 0

    def try_reserve(self, lane: Lane = Lane.PUSH) -> bool:
        """Take a place for one more fetch of lane; False when no place is left for it."""
        limit = self.limit if lane is Lane.PUSH else self.limit - self.kept_for_push
        if self.count >= limit:
            return False
        self.count += 1
        return True

    def release(self) -> None:
        """Give back the place of a finished fetch."""
        self.count = max(0, self.count - 1)
