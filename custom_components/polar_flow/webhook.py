"""The Home Assistant webhook of an AccessLink client, shared by every account signed in with it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Protocol

from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .accesslink import AccessLinkClient, Notice
from .cloudhook import async_delete_cloudhook, listen_cloud_connection
from .const import DOMAIN, HEALTH_CHECK_INTERVAL, LOGGER, SUBSCRIBED_EVENTS
from .delivery import WebhookDeliveries
from .fetch_limit import PendingFetches
from .push_issue import async_update_push_issue, push_issue_id
from .registration import PolarRegistration, PushProblem, StoredWebhook
from .scheduler import ClientScheduler

WEBHOOK_MANAGERS: HassKey[dict[str, PolarWebhookManager]] = HassKey(f"{DOMAIN}_webhooks")
MANAGERS_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_webhooks_lock")
STORAGE_VERSION = 1


class PushAccount(Protocol):
    """A Polar account as the webhook sees it."""

    @property
    def user_id(self) -> int:
        """Return the Polar user id whose notices the account takes."""

    def async_receive_notice(self, notice: Notice) -> None:
        """Take a notice of the account's user."""

    def async_set_push(self, push_ok: bool) -> None:
        """Learn whether Polar pushes, to reconcile rarely or poll."""

    def async_catch_up(self) -> None:
        """Reconcile soon, in the background."""


class PolarWebhookManager:
    """Answer the Home Assistant webhook of one AccessLink client and route its notices."""

    def __init__(self, hass: HomeAssistant, client_id: str, client: AccessLinkClient) -> None:
        """Initialise the webhook of one AccessLink client."""
        self.hass = hass
        self.client_id = client_id
        self.pending_fetches = PendingFetches()
        self._accounts: dict[int, PushAccount] = {}
        # Polar's limits grow with the client's users; before its first answer, count ours.
        self.scheduler = ClientScheduler(hass, lambda: len(self._accounts))
        self.deliveries = WebhookDeliveries(
            lambda: self._stored["secret"] if self._stored else None,
            self._async_route,
            self._async_deliveries_changed,
        )
        self.registration = PolarRegistration(
            hass,
            client,
            lambda: self._state,
            self._async_save,
            lambda: self.async_ensure(force=True),
        )
        self._store: Store[StoredWebhook] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.webhook_{slugify(client_id)}", private=True
        )
        self._stored: StoredWebhook | None = None
        self._lock = asyncio.Lock()
        self._ensured = False
        self._unsubs: list[CALLBACK_TYPE] = []

    @property
    def push_ok(self) -> bool:
        """Return whether Polar can push to Home Assistant."""
        return self.registration.active is True and self.push_problem is None

    @property
    def push_problem(self) -> PushProblem | None:
        """Return why push does not work: the registration, else deliveries failing here."""
        if self.registration.problem is None and self.deliveries.broken:
            return "delivery_failed"
        return self.registration.problem

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

    async def _async_save(self) -> None:
        """Persist the webhook id and the registration."""
        await self._store.async_save(self._state)

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
        self._unsubs.append(
            async_track_time_interval(
                self.hass, self._async_recheck, HEALTH_CHECK_INTERVAL, name=f"{DOMAIN} webhook"
            )
        )
        if unsub := listen_cloud_connection(self.hass, self._async_recheck):
            self._unsubs.append(unsub)

    @callback
    def async_stop(self) -> None:
        """Stop answering for the webhook; Polar keeps it for the next start."""
        webhook.async_unregister(self.hass, self.webhook_id)
        while self._unsubs:
            self._unsubs.pop()()
        self.registration.async_stop()
        self.scheduler.async_stop()

    @callback
    def async_attach(self, account: PushAccount) -> CALLBACK_TYPE:
        """Route the notices of account's user to it; return the undo."""
        self._accounts[account.user_id] = account

        @callback
        def _async_detach() -> None:
            """Stop routing to the account; the last one stops the webhook here."""
            if self._accounts.get(account.user_id) is not account:
                return
            del self._accounts[account.user_id]
            if not self._accounts:
                _async_release(self.hass, self)

        return _async_detach

    async def _async_recheck(self, _now: datetime | None = None) -> None:
        """Re-check the webhook at Polar."""
        await self.async_ensure(force=True)

    async def async_ensure(self, *, force: bool = False, take_over: bool = False) -> None:
        """Make Polar push to this Home Assistant; fall back to polling when it cannot."""
        async with self._lock:
            was_ok = self.push_ok
            if was_ok and not force:
                return
            repaired = await self.registration.async_register(take_over=take_over)
            # Notices may have been missed while push was down or the webhook needed repair;
            # the accounts reconciled at their own setup, just before the first registration.
            catch_up = self.push_ok and self._ensured and (repaired or not was_ok)
            self._ensured = True
            self._apply_mode(catch_up=catch_up)

    async def async_take_over(self) -> bool:
        """Replace another Home Assistant's webhook at Polar with ours; return if push works."""
        await self.async_ensure(force=True, take_over=True)
        return self.push_ok

    @callback
    def _apply_mode(self, *, catch_up: bool) -> None:
        """Switch the accounts between push and polling, and raise or clear the repair issue."""
        problem = None if self.push_ok else self.push_problem
        async_update_push_issue(self.hass, self.client_id, problem, self.registration)
        for account in self._accounts.values():
            account.async_set_push(self.push_ok)
            if catch_up:
                account.async_catch_up()

    async def async_delete(self) -> None:
        """Delete the webhook at Polar and the cloudhook; forget the secret."""
        stored = self._stored or await self._store.async_load()
        await self.registration.async_delete()
        if stored and stored["cloudhook_url"]:
            await async_delete_cloudhook(self.hass, stored["webhook_id"])
        await self._store.async_remove()
        ir.async_delete_issue(self.hass, DOMAIN, push_issue_id(self.client_id))

    @callback
    def _async_route(self, notice: Notice) -> None:
        """Hand a notice to the account of its user."""
        if notice.event not in SUBSCRIBED_EVENTS:
            LOGGER.debug("Ignored a %s notice", notice.event)
        elif (account := self._accounts.get(notice.user_id or -1)) is None:
            LOGGER.debug("Ignored a notice for user %s, not signed in here", notice.user_id)
        else:
            account.async_receive_notice(notice)

    @callback
    def _async_deliveries_changed(self) -> None:
        """Deliveries started or stopped failing here: switch modes, catch up what failed."""
        self._apply_mode(catch_up=self.push_ok)

    def diagnostics(self) -> dict[str, Any]:
        """Return the webhook's health, without secrets."""
        return {
            "url_kind": self.registration.url_kind,
            "registered": bool(self._stored and self._stored["polar_id"]),
            "active": self.registration.active,
            "problem": self.push_problem,
            **self.deliveries.diagnostics(),
            "accounts": len(self._accounts),
            # Fetches queued, running or waiting to be asked again, of the client's bound.
            "pending_fetches": [self.pending_fetches.count, self.pending_fetches.limit],
            # The client's rate budget as known, and the requests sent and waiting per lane.
            "budget": self.scheduler.diagnostics(),
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
def _async_release(hass: HomeAssistant, manager: PolarWebhookManager) -> None:
    """Stop a manager that no account uses any more."""
    manager.async_stop()
    managers = hass.data.get(WEBHOOK_MANAGERS, {})
    if managers.get(manager.client_id) is manager:
        del managers[manager.client_id]
    # No account listens any more: a push problem is nobody's to fix until one loads again.
    ir.async_delete_issue(hass, DOMAIN, push_issue_id(manager.client_id))
