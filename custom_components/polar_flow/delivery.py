"""Answering Polar's deliveries to the webhook, and counting the ones that fail here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest

from .accesslink import Notice
from .const import LOGGER
from .notice import PING, SIGNATURE_HEADER, Rejection, parse_request, read_body

# Deliveries that fail in a row before push counts as broken.
MAX_HANDLER_FAILURES: Final = 3


class WebhookDeliveries:
    """Answer the requests to one webhook, over HTTP or relayed by Home Assistant Cloud."""

    def __init__(
        self,
        secret: Callable[[], str | None],
        route: Callable[[Notice], None],
        on_broken_changed: Callable[[], None],
    ) -> None:
        """Check signatures with secret(), hand notices to route, report failing deliveries."""
        self._secret = secret
        self._route = route
        self._on_broken_changed = on_broken_changed
        self.last_notice: datetime | None = None
        self.rejected = 0
        self.failed = 0
        self.failed_in_a_row = 0

    @property
    def broken(self) -> bool:
        """Return whether deliveries keep failing here."""
        return self.failed_in_a_row >= MAX_HANDLER_FAILURES

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request | MockRequest
    ) -> web.Response:
        """Answer Polar at once; a failure here is counted, not raised to the webhook component."""
        try:
            return await self._async_answer(request)
        except Exception as err:  # noqa: BLE001 - the webhook component would log a traceback
            self._async_count_failure(err)
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="not handled")

    async def _async_answer(self, request: web.Request | MockRequest) -> web.Response:
        """Read, check and route one request; the account's coordinator does the rest."""
        body = await read_body(request)
        if isinstance(body, Rejection):
            self.rejected += 1
            LOGGER.debug("Rejected a webhook request: %s", body.reason)
            return body.response()
        result = parse_request(body, request.headers.get(SIGNATURE_HEADER), self._secret())
        if isinstance(result, Rejection):
            if result.status != HTTPStatus.OK:
                self.rejected += 1
            if result is not PING:
                LOGGER.debug("Answered a webhook request with %s: %s", result.status, result.reason)
            return result.response()
        self.last_notice = dt_util.utcnow()
        self._route(result)
        self._async_count_success()
        return web.Response(status=HTTPStatus.OK, text="ok")

    @callback
    def _async_count_failure(self, err: Exception) -> None:
        """Count a delivery that failed here; after a few in a row push counts as broken."""
        self.failed += 1
        self.failed_in_a_row += 1
        if self.failed_in_a_row == 1:
            # The type only: the message of an unexpected error may quote the body.
            LOGGER.warning("Could not handle a Polar webhook delivery (%s)", type(err).__name__)
        if self.failed_in_a_row == MAX_HANDLER_FAILURES:
            self._on_broken_changed()

    @callback
    def _async_count_success(self) -> None:
        """Reset the failure count; push works again if failures had broken it."""
        was_broken = self.broken
        self.failed_in_a_row = 0
        if was_broken:
            LOGGER.info("Polar webhook deliveries are handled again")
            self._on_broken_changed()

    def diagnostics(self) -> dict[str, Any]:
        """Return the delivery counts."""
        return {
            "last_notice": self.last_notice.isoformat() if self.last_notice else None,
            "rejected_requests": self.rejected,
            "failed_requests": self.failed,
            "failed_in_a_row": self.failed_in_a_row,
        }
