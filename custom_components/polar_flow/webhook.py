"""The one Polar webhook per AccessLink client, shared by every account signed in with it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

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
    Notice,
    WebhookInfo,
)
from .cloudhook import (
    async_create_cloudhook,
    async_delete_cloudhook,
    cloud_subscribed,
    listen_cloud_connection,
)
from .const import (
    DOMAIN,
    HEALTH_CHECK_INTERVAL,
    LOGGER,
    SUBSCRIBED_EVENTS,
)
from .delivery import WebhookDeliveries
from .fetch_limit import PendingFetches

if TYPE_CHECKING:
    from .coordinator import PolarFlowCoordinator

WEBHOOK_MANAGERS: HassKey[dict[str, PolarWebhookManager]] = HassKey(f"{DOMAIN}_webhooks")
MANAGERS_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_webhooks_lock")
STORAGE_VERSION = 1
ISSUE_PUSH = "push_unavailable"
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
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)


class WebhookTakenError(Exception):
    """The webhook at Polar belongs to another Home Assistant signed in with the client."""

    def __init__(self, url: str) -> None:
        """Keep only the other instance's address, not its webhook id."""
        super().__init__("the Polar webhook points at another Home Assistant")
        self.origin = str(URL(url).origin()) if URL(url).absolute else "-"


class StoredWebhook(TypedDict):
    """What is persisted per AccessLink client."""

    webhook_id: str
    polar_id: str | None
    secret: str | None
    cloudhook_url: str | None


class PolarWebhookManager:
    """Keep one Home Assistant webhook and its Polar registration, and route notices."""

    def __init__(self, hass: HomeAssistant, client_id: str, client: AccessLinkClient) -> None:
        """Initialise the manager of one AccessLink client."""
        self.hass = hass
        self.client_id = client_id
        self.client = client
        self.coordinators: dict[int, PolarFlowCoordinator] = {}
        self.pending_fetches = PendingFetches()
        self.url_kind: UrlKind | None = None
        self.url: str | None = None
        self.active: bool | None = None
        self.problem: PushProblem | None = None
        self.other_origin: str | None = None
        self.deliveries = WebhookDeliveries(
            lambda: self._stored["secret"] if self._stored else None,
            self._async_route,
            self._async_deliveries_changed,
        )
        self._store: Store[StoredWebhook] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.webhook_{slugify(client_id)}", private=True
        )
        self._stored: StoredWebhook | None = None
        self._lock = asyncio.Lock()
        self._ensured = False
        self._unsub_health: CALLBACK_TYPE | None = None
        self._unsub_cloud: CALLBACK_TYPE | None = None
        self._unsub_retry: CALLBACK_TYPE | None = None
        self._retries = 0
        self._take_over = False

    @property
    def push_ok(self) -> bool:
        """Return whether Polar can push to Home Assistant."""
        return self.active is True and self.push_problem is None

    @property
    def push_problem(self) -> PushProblem | None:
        """Return why push does not work: the registration, else deliveries failing here."""
        if self.problem is None and self.deliveries.broken:
            return "delivery_failed"
        return self.problem

    @property
    def webhook_id(self) -> str:
        """Return the Home Assistant webhook id."""
        return self._state["webhook_id"]

    @property
    def _state(self) -> StoredWebhook:
        """Return the stored state; async_start loads it before anything else runs."""
        if self._stored is None:
            raise RuntimeError("The Polar webhook manager was not started")
        return self._stored

    async def async_start(self) -> None:
        """Load what is stored and register the Home Assistant webhook."""
        stored = await self._store.async_load()
        if stored is None:
            stored = StoredWebhook(
                webhook_id=webhook.async_generate_id(),
                polar_id=None,
                secret=None,
                cloudhook_url=None,
            )
            await self._store.async_save(stored)
        self._stored = stored
        webhook.async_register(
            self.hass,
            DOMAIN,
            "Polar Flow",
            self.webhook_id,
            self.deliveries.async_handle,
            allowed_methods=["POST"],
        )
        self._unsub_health = async_track_time_interval(
            self.hass, self._async_health_check, HEALTH_CHECK_INTERVAL, name=f"{DOMAIN} webhook"
        )
        self._unsub_cloud = listen_cloud_connection(self.hass, self._async_health_check)

    @callback
    def async_stop(self) -> None:
        """Stop answering for the webhook; Polar keeps it for the next start."""
        webhook.async_unregister(self.hass, self.webhook_id)
        for unsub in (self._unsub_health, self._unsub_cloud, self._unsub_retry):
            if unsub:
                unsub()
        self._unsub_health = self._unsub_cloud = self._unsub_retry = None

    async def _async_health_check(self, _now: datetime | None = None) -> None:
        """Re-check the webhook at Polar."""
        await self.async_ensure(force=True)

    async def async_ensure(self, *, force: bool = False) -> None:
        """Make Polar push to this Home Assistant; fall back to polling when it cannot."""
        async with self._lock:
            was_ok = self.push_ok
            if was_ok and not force:
                return
            repaired = False
            try:
                url = await self._async_choose_url()
            except NoURLAvailableError:
                self._set_problem("no_url")
            else:
                repaired = await self._async_register_at_polar(url)
            # Notices may have been missed while push was down or the webhook needed repair;
            # the accounts reconciled at their own setup, just before the first registration.
            catch_up = self.push_ok and self._ensured and (repaired or not was_ok)
            self._ensured = True
            self._apply_mode(catch_up=catch_up)

    async def async_take_over(self) -> bool:
        """Replace another Home Assistant's webhook at Polar with ours; return if push works."""
        self._take_over = True
        try:
            await self.async_ensure(force=True)
        finally:
            self._take_over = False
        return self.push_ok

    async def _async_choose_url(self) -> str:
        """Return a cloudhook with an active subscription, else the external URL."""
        stored = self._state
        if cloud_subscribed(self.hass):
            if not stored["cloudhook_url"]:
                stored["cloudhook_url"] = await async_create_cloudhook(self.hass, self.webhook_id)
                await self._store.async_save(stored)
            if url := stored["cloudhook_url"]:
                self.url_kind = "cloudhook"
                return url
        self.url_kind = "external"
        return webhook.async_generate_url(
            self.hass, self.webhook_id, allow_internal=False, prefer_external=True
        )

    async def _async_register_at_polar(self, url: str) -> bool:
        """Create, update, recreate or activate the webhook at Polar; return whether it changed."""
        stored = self._state
        self.url = url
        try:
            hooks = await self.client.list_webhooks()
            hook = hooks[0] if hooks else None
            if hook and (hook.id != stored["polar_id"] or not stored["secret"]):
                self._check_not_taken(hook, url)
                LOGGER.info("Recreating the Polar webhook, its signing secret is not known here")
                await self.client.delete_webhook(hook.id)
                hook = None
            if hook is None:
                await self._async_create(url)
                changed = True
            else:
                changed = await self._async_update(hook, url)
        except WebhookTakenError as err:
            self.other_origin = err.origin
            self._set_problem("taken", err)
        except TRANSIENT_ERRORS as err:
            self._set_problem("polar_unavailable", err)
            self._schedule_retry(err)
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

    def _check_not_taken(self, hook: WebhookInfo, url: str) -> None:
        """Raise when a webhook this instance did not create points at another instance."""
        if self._take_over or self._is_own_url(hook.url, url):
            return
        raise WebhookTakenError(hook.url)

    def _is_own_url(self, hook_url: str, url: str) -> bool:
        """Return whether hook_url reaches this instance, even with a webhook id since lost."""
        if hook_url in (url, self._state["cloudhook_url"]):
            return True
        try:
            base = get_url(self.hass, allow_internal=False, prefer_external=True)
        except NoURLAvailableError:
            return False
        return hook_url.startswith(f"{base}/api/webhook/")

    async def _async_create(self, url: str) -> None:
        """Create the webhook at Polar and keep its secret."""
        stored = self._state
        try:
            created = await self.client.create_webhook(url, SUBSCRIBED_EVENTS)
        except AccessLinkConflictError:
            # Created elsewhere since it was listed: its secret is unknown here, so replace it.
            for hook in await self.client.list_webhooks():
                self._check_not_taken(hook, url)
                await self.client.delete_webhook(hook.id)
            created = await self.client.create_webhook(url, SUBSCRIBED_EVENTS)
        stored["polar_id"] = created.id
        stored["secret"] = created.signature_secret_key
        await self._store.async_save(stored)
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

    @callback
    def _schedule_retry(self, err: Exception) -> None:
        """Check again soon after a transient error, waiting longer each time."""
        delay = min(RETRY_FIRST * 2**self._retries, RETRY_MAX)
        if isinstance(err, AccessLinkRateLimitError):
            delay = min(max(delay, timedelta(seconds=err.retry_after)), RETRY_MAX)
        self._retries += 1
        self._cancel_retry()
        self._unsub_retry = async_call_later(self.hass, delay, self._async_retry)

    @callback
    def _cancel_retry(self) -> None:
        """Cancel a pending retry."""
        if self._unsub_retry:
            self._unsub_retry()
            self._unsub_retry = None

    async def _async_retry(self, _now: datetime) -> None:
        """Retry the registration after a transient error."""
        self._unsub_retry = None
        await self.async_ensure(force=True)

    @callback
    def _apply_mode(self, *, catch_up: bool) -> None:
        """Switch the accounts between push and polling, and raise or clear the repair issue."""
        issue_id = f"{ISSUE_PUSH}_{slugify(self.client_id)}"
        if self.problem != "polar_unavailable":
            self._cancel_retry()
            self._retries = 0
        if self.push_ok:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        elif self.problem == "taken":
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                data={"client_id": self.client_id},
                is_fixable=True,
                severity=ir.IssueSeverity.WARNING,
                translation_key="push_taken",
                translation_placeholders={"other": self.other_origin or "-"},
            )
        elif self.problem != "polar_unavailable":
            # For the user to fix; Polar failing a while raises none and keeps an earlier one.
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=f"push_{self.push_problem}",
                translation_placeholders={"url": self.url or "-"},
                learn_more_url="https://www.home-assistant.io/docs/configuration/remote/",
            )
        for coordinator in self.coordinators.values():
            coordinator.async_set_push(self.push_ok)
            if catch_up:
                coordinator.config_entry.async_create_background_task(
                    self.hass, coordinator.async_request_refresh(), f"{DOMAIN} catch-up"
                )

    async def async_delete(self) -> None:
        """Delete the webhook at Polar and the cloudhook; forget the secret."""
        stored = self._stored or await self._store.async_load()
        try:
            for hook in await self.client.list_webhooks():
                await self.client.delete_webhook(hook.id)
        except AccessLinkError as err:
            LOGGER.warning("Could not delete the Polar webhook: %s", err)
        if stored and stored["cloudhook_url"]:
            await async_delete_cloudhook(self.hass, stored["webhook_id"])
        await self._store.async_remove()
        ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_PUSH}_{slugify(self.client_id)}")

    @callback
    def _async_route(self, notice: Notice) -> None:
        """Hand a notice to the coordinator of its account."""
        if notice.event not in SUBSCRIBED_EVENTS:
            LOGGER.debug("Ignored a %s notice", notice.event)
        elif (coordinator := self.coordinators.get(notice.user_id or -1)) is None:
            LOGGER.debug("Ignored a notice for user %s, not signed in here", notice.user_id)
        else:
            coordinator.async_receive_notice(notice)

    @callback
    def _async_deliveries_changed(self) -> None:
        """Deliveries started or stopped failing here: switch modes, catch up what failed."""
        self._apply_mode(catch_up=self.push_ok)

    def diagnostics(self) -> dict[str, Any]:
        """Return the webhook's health, without secrets."""
        return {
            "url_kind": self.url_kind,
            "registered": bool(self._stored and self._stored["polar_id"]),
            "active": self.active,
            "problem": self.push_problem,
            **self.deliveries.diagnostics(),
            "accounts": len(self.coordinators),
        }


async def async_get_manager(
    hass: HomeAssistant, client_id: str, client: AccessLinkClient
) -> PolarWebhookManager:
    """Return the running manager of an AccessLink client, starting it when needed."""
    async with hass.data.setdefault(MANAGERS_LOCK, asyncio.Lock()):
        managers = hass.data.setdefault(WEBHOOK_MANAGERS, {})
        if (manager := managers.get(client_id)) is None:
            manager = PolarWebhookManager(hass, client_id, client)
            await manager.async_start()
            managers[client_id] = manager
        return manager


@callback
def async_release_manager(hass: HomeAssistant, manager: PolarWebhookManager) -> None:
    """Stop a manager that no account uses any more."""
    if manager.coordinators:
        return
    manager.async_stop()
    hass.data.get(WEBHOOK_MANAGERS, {}).pop(manager.client_id, None)
    # No account listens any more: a push problem is nobody's to fix until one loads again.
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_PUSH}_{slugify(manager.client_id)}")
