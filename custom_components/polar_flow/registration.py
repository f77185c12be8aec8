"""The one webhook of an AccessLink client at Polar: pointing it here, or saying why it cannot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal, TypedDict

from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConflictError,
    AccessLinkConnectionError,
    AccessLinkError,
    AccessLinkRateLimitError,
    AccessLinkRequestError,
    AccessLinkServerError,
    AccessLinkTimeoutError,
    WebhookInfo,
)
from .cloudhook import async_create_cloudhook, cloud_subscribed
from .const import LOGGER, SUBSCRIBED_EVENTS
from .retry import RetryBackoff

PING_FAILED = "WebhookPingFailedException"

type UrlKind = Literal["cloudhook", "external"]
type PushProblem = Literal[
    "no_url",
    "ping_failed",
    "client_rejected",
    "unreachable",
    "taken",
    "polar_unavailable",
    "delivery_failed",
]
# Polar failing for a while: polled meanwhile and retried, but nothing for the user to fix.
TRANSIENT_ERRORS = (
    AccessLinkTimeoutError,
    AccessLinkConnectionError,
    AccessLinkServerError,
    AccessLinkRateLimitError,
)


class StoredWebhook(TypedDict):
    """What is persisted per AccessLink client."""

    webhook_id: str
    polar_id: str | None
    secret: str | None
    cloudhook_url: str | None


class WebhookTakenError(Exception):
    """The webhook at Polar belongs to another Home Assistant signed in with the client."""

    def __init__(self, url: str) -> None:
        """Keep only the other instance's address, not its webhook id."""
        super().__init__("the Polar webhook points at another Home Assistant")
        self.origin = str(URL(url).origin()) if URL(url).absolute else "-"


class PolarRegistration:
    """Create, update, recreate or activate the client's webhook at Polar so it points here."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: AccessLinkClient,
        stored: Callable[[], StoredWebhook],
        save: Callable[[], Awaitable[None]],
        recheck: Callable[[], Awaitable[None]],
    ) -> None:
        """Keep the registration in stored(), persist it with save(), recheck after outages."""
        self.hass = hass
        self.client = client
        self._stored = stored
        self._save = save
        self._retry = RetryBackoff(hass, recheck)
        self.url_kind: UrlKind | None = None
        self.url: str | None = None
        self.active: bool | None = None
        self.problem: PushProblem | None = None
        self.other_origin: str | None = None

    async def async_register(self, *, take_over: bool = False) -> bool:
        """Point the webhook at Polar here; return whether anything at Polar changed."""
        changed = await self._async_register(take_over)
        if self.problem != "polar_unavailable":
            self._retry.async_reset()
        return changed

    @callback
    def async_stop(self) -> None:
        """Cancel a pending recheck."""
        self._retry.async_cancel()

    async def _async_register(self, take_over: bool) -> bool:
        """Choose the URL and register it at Polar; remember what went wrong."""
        try:
            url = await self._async_choose_url()
        except NoURLAvailableError:
            self._set_problem("no_url")
            return False
        self.url = url
        try:
            changed = await self._async_register_at_polar(url, take_over)
        except WebhookTakenError as err:
            self.other_origin = err.origin
            self._set_problem("taken", err)
        except TRANSIENT_ERRORS as err:
            self._set_problem("polar_unavailable", err)
            wait = err.retry_after if isinstance(err, AccessLinkRateLimitError) else 0.0
            self._retry.async_schedule(timedelta(seconds=wait))
        except AccessLinkRequestError as err:
            ping = err.error_type == PING_FAILED
            self._set_problem("ping_failed" if ping else "unreachable", err)
        except AccessLinkAuthError as err:
            self._set_problem("client_rejected", err)
        except AccessLinkError as err:
            self._set_problem("unreachable", err)
        else:
            if self.problem is not None:
                LOGGER.info("Polar pushes to Home Assistant again")
            self.problem = None
            self.other_origin = None
            return changed
        return False

    async def async_delete(self) -> None:
        """Delete the client's webhook at Polar."""
        try:
            for hook in await self.client.list_webhooks():
                await self.client.delete_webhook(hook.id)
        except AccessLinkError as err:
            LOGGER.warning("Could not delete the Polar webhook: %s", err)

    async def _async_choose_url(self) -> str:
        """Return a cloudhook with an active subscription, else the external URL."""
        stored = self._stored()
        if cloud_subscribed(self.hass):
            if not stored["cloudhook_url"]:
                stored["cloudhook_url"] = await async_create_cloudhook(
                    self.hass, stored["webhook_id"]
                )
                await self._save()
            if url := stored["cloudhook_url"]:
                self.url_kind = "cloudhook"
                return url
        self.url_kind = "external"
        return webhook.async_generate_url(
            self.hass, stored["webhook_id"], allow_internal=False, prefer_external=True
        )

    async def _async_register_at_polar(self, url: str, take_over: bool) -> bool:
        """Create, update, recreate or activate the webhook at Polar; return whether it changed."""
        stored = self._stored()
        hooks = await self.client.list_webhooks()
        hook = hooks[0] if hooks else None
        if hook and (hook.id != stored["polar_id"] or not stored["secret"]):
            self._check_not_taken(hook, url, take_over)
            LOGGER.info("Recreating the Polar webhook, its signing secret is not known here")
            await self.client.delete_webhook(hook.id)
            hook = None
        if hook is None:
            await self._async_create(url, take_over)
            return True
        return await self._async_update(hook, url)

    def _check_not_taken(self, hook: WebhookInfo, url: str, take_over: bool) -> None:
        """Raise when a webhook this instance did not create points at another instance."""
        if take_over or self._is_own_url(hook.url, url):
            return
        raise WebhookTakenError(hook.url)

    def _is_own_url(self, hook_url: str, url: str) -> bool:
        """Return whether hook_url reaches this instance, even with a webhook id since lost."""
        if hook_url in (url, self._stored()["cloudhook_url"]):
            return True
        try:
            base = get_url(self.hass, allow_internal=False, prefer_external=True)
        except NoURLAvailableError:
            return False
        return hook_url.startswith(f"{base}/api/webhook/")

    async def _async_create(self, url: str, take_over: bool) -> None:
        """Create the webhook at Polar and keep its secret."""
        stored = self._stored()
        try:
            created = await self.client.create_webhook(url, SUBSCRIBED_EVENTS)
        except AccessLinkConflictError:
            # Created elsewhere since it was listed: its secret is unknown here, so replace it.
            for hook in await self.client.list_webhooks():
                self._check_not_taken(hook, url, take_over)
                await self.client.delete_webhook(hook.id)
            created = await self.client.create_webhook(url, SUBSCRIBED_EVENTS)
        stored["polar_id"] = created.id
        stored["secret"] = created.signature_secret_key
        await self._save()
        self.active = True
        LOGGER.info("Registered the Polar webhook for %s", self.url_kind)

    async def _async_update(self, hook: WebhookInfo, url: str) -> bool:
        """Point an existing webhook at url and the subscribed events; activate it."""
        changed = False
        if hook.url != url or set(hook.events) != set(SUBSCRIBED_EVENTS):
            await self.client.update_webhook(hook.id, url=url, events=SUBSCRIBED_EVENTS)
            changed = True
        if hook.active is False:
            await self.client.activate_webhook()
            changed = True
        self.active = True
        return changed

    @callback
    def _set_problem(self, problem: PushProblem, err: Exception | None = None) -> None:
        """Remember why push does not work; log it once, not at every check."""
        if problem != self.problem:
            LOGGER.warning("Polar cannot push to Home Assistant (%s): %s", problem, err or "-")
        self.problem = problem
        self.active = False
