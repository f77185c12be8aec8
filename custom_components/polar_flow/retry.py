"""Running an action again after a transient error, waiting longer each time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)


class RetryBackoff:
    """Run an action again after a transient error, waiting longer each time."""

    def __init__(self, hass: HomeAssistant, action: Callable[[], Awaitable[None]]) -> None:
        """Initialise the backoff of action."""
        self._hass = hass
        self._action = action
        self._retries = 0
        self._unsub: CALLBACK_TYPE | None = None

    @callback
    def async_schedule(self, at_least: timedelta) -> None:
        """Run the action once more, later than the last time and not before at_least."""
        wait = RETRY_FIRST * 2**self._retries
        if wait < RETRY_MAX:
            # Doubling stops at the longest wait: timedelta overflows after about 40 of them.
            self._retries += 1
        delay = min(max(wait, at_least), RETRY_MAX)
        self.async_cancel()
        self._unsub = async_call_later(self._hass, delay, self._async_run)

    @callback
    def async_reset(self) -> None:
        """Cancel a pending retry and start the next backoff from the shortest wait."""
        self.async_cancel()
        self._retries = 0

    @callback
    def async_cancel(self) -> None:
        """Cancel a pending retry."""
        if self._unsub:
            self._unsub()
            self._unsub = None

    async def _async_run(self, _now: datetime) -> None:
        """Run the action."""
        self._unsub = None
        await self._action()
