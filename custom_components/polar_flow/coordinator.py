"""One Polar account: take notices, fetch, publish each kind of data by its rule, catch up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .accesslink import AccessLinkUser, Notice
from .backfill import Backfill
from .const import DOMAIN, LOGGER, POLL_INTERVAL, RECONCILE_INTERVAL
from .fetch_limit import PendingFetches
from .fetcher import Failure, Fetcher
from .history import History
from .kinds import KINDS, DataKind, PublishRule, Summary, kind_of
from .ledger import Ledger
from .publisher import NoticeStats, Publisher
from .scheduler import ClientScheduler, Lane

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry

# A notice dropped because the client has too many fetches pending is caught up after this.
DROPPED_CATCH_UP_DELAY = 15.0
# Items a catch-up publishes before it lets the event loop answer webhook deliveries.
PUBLISH_GROUP = 16

type AccountData = dict[str, Summary]


class PolarFlowCoordinator(DataUpdateCoordinator[AccountData]):
    """Publish every kind of one account's Polar data by its kind's rule; data: newest per kind."""

    config_entry: PolarFlowConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PolarFlowConfigEntry,
        user: AccessLinkUser,
        device_id: str,
        *,
        pending_fetches: PendingFetches,
        scheduler: ClientScheduler,
    ) -> None:
        """Initialise one account's coordinator with its client's fetch bound and scheduler."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {user.user_id}",
            update_interval=RECONCILE_INTERVAL,
        )
        self.user_id = user.user_id
        self.user = user
        self.device_id = device_id
        self.stats = {key: NoticeStats() for key in KINDS}
        self.ledger = Ledger(hass, user.user_id, KINDS)
        self.history = History(hass, user.user_id, KINDS)
        self.backfill = Backfill(
            hass, entry, user, scheduler=scheduler, history=self.history, kinds=KINDS
        )
        self.fetcher = Fetcher(
            hass,
            entry,
            user,
            pending_fetches,
            scheduler,
            on_result=self._on_fetched,
            retry_later=self._schedule_catch_up,
        )
        self.publisher = Publisher(
            hass,
            self.ledger,
            self.stats,
            {"device_id": device_id, "config_entry_id": entry.entry_id, "user_id": user.user_id},
            self._async_show_newest,
        )
        self._retry_unsub: CALLBACK_TYPE | None = None
        # Held by a reconcile or catch-up under way: one lists at a time, and its listings
        # wait for their turns and may take minutes.
        self._listing_lock = asyncio.Lock()
        # The kinds the next catch-up lists: an item of theirs was dropped or not fetched.
        self._behind: set[str] = set()
        self._refusal_logged = False
        self._fetch_again: set[tuple[str, str]] = set()
        self._catch_up_job = HassJob(
            self._async_catch_up_later, f"{DOMAIN} catch-up", cancel_on_shutdown=True
        )
        self.data = {}

    async def async_load(self) -> None:
        """Restore what was published, the newest item of each kind and the history."""
        await self.ledger.async_load()
        await self.history.async_load()
        self.data = self.ledger.latest

    @callback
    def _async_show_newest(self) -> None:
        """Show a kind's new newest item on the sensors.

        Not async_set_updated_data: that re-arms the timer, and a steady stream of pushes
        would postpone the reconcile for ever.
        """
        self.data = self.ledger.latest
        self.async_update_listeners()

    # Push

    @callback
    def async_receive_notice(self, notice: Notice) -> None:
        """Take a notice from the webhook; the work continues in the background."""
        if (kind := kind_of(notice.event)) is None:
            LOGGER.debug("Ignored a %s notice", notice.event)
            return
        stats = self.stats[kind.key]
        stats.received += 1
        if (key := kind.notice_key(notice)) is None:
            # The client's notice schema requires the key; a notice without one is not usable.
            stats.refused += 1
            return
        if self.fetcher.busy(kind, key) or self._published_for_good(kind, key):
            stats.duplicates += 1
            LOGGER.debug("The %s %s of user %s is already handled", kind.key, key, self.user_id)
        self._async_start_fetch(kind, key)

    def _published_for_good(self, kind: DataKind[Any], key: str) -> bool:
        """Return whether a key needs no fetch: published once and never changing."""
        return kind.rule is PublishRule.ONCE_PER_ID and self.ledger.was_seen(kind, key)

    @callback
    def _async_start_fetch(self, kind: DataKind[Any], key: str, lane: Lane = Lane.PUSH) -> None:
        """Fetch an item in the background, within the client's bound, unless there is no need.

        A dated item may change after its request went out: it is fetched once more afterwards
        (one not asked yet, or waiting to be asked again, gets the change anyway). An exercise
        already published never changes.
        """
        if self._published_for_good(kind, key):
            return
        if self.fetcher.busy(kind, key):
            if kind.rule is PublishRule.LATEST_PER_DATE and self.fetcher.asking(kind, key):
                self._fetch_again.add((kind.key, key))
            return
        if not self.fetcher.async_start(kind, key, lane):
            self.stats[kind.key].dropped += 1
            self._mark_due(kind)
            LOGGER.debug("Too many fetches pending; user %s catches up later", self.user_id)
            self._schedule_catch_up(DROPPED_CATCH_UP_DELAY, kind)

    @callback
    def _on_fetched(
        self, kind: DataKind[Any], key: str, result: Sequence[Summary] | Failure
    ) -> None:
        """Publish the fetched items that are new, then fetch the kinds that follow them."""
        again = (kind.key, key) in self._fetch_again
        self._fetch_again.discard((kind.key, key))
        if isinstance(result, Failure):
            self._count_failure(kind, result)
            return
        items = sorted(result, key=lambda item: item.order)
        self.history.async_add(kind, items)
        for item in items:
            self.publisher.async_offer(kind, item)
        # Also for items seen before: a follower missing last time may be there now.
        self._async_follow_up(kind, items, skip_due=False)
        if again:
            self._async_start_fetch(kind, key)

    @callback
    def _async_follow_up(
        self, kind: DataKind[Any], items: Sequence[Summary], *, skip_due: bool
    ) -> None:
        """Fetch what the kinds that follow this one have for the items, once per key.

        In the follow-up lane: pushed items go first, and while a key waits for its turn a
        further item of the same day asks nothing more.
        """
        wanted: dict[tuple[str, str], DataKind[Any]] = {}
        for follow_up in kind.then:
            follower = KINDS[follow_up.kind]
            if skip_due and self.ledger.due_for_listing(follower):
                continue
            for item in items:
                if (follower_key := follow_up.key(item)) is not None:
                    wanted[(follower.key, follower_key)] = follower
        for (_, follower_key), follower in wanted.items():
            self._async_start_fetch(follower, follower_key, Lane.FOLLOW_UP)

    def _mark_due(self, kind: DataKind[Any]) -> None:
        """Have the catch-up list a kind it lists only now and then: a fetch of it was lost."""
        if kind.list_every is not None:
            self.ledger.mark_due(kind)

    def _count_failure(self, kind: DataKind[Any], failure: Failure) -> None:
        """Count a fetch that returned nothing; warn once per account about unusable ids."""
        stats = self.stats[kind.key]
        if failure is Failure.FAILED:
            stats.failed += 1
            self._mark_due(kind)
        elif failure is Failure.REFUSED:
            stats.refused += 1
            if not self._refusal_logged:
                self._refusal_logged = True
                LOGGER.warning(
                    "Ignored a notice for user %s: its %s id is not a plain Polar id",
                    self.user_id,
                    kind.key,
                )

    # Catch-up

    async def _async_update_data(self) -> AccountData:
        """Reconcile with AccessLink: publish every listed item that is new under its rule."""
        async with self._listing_lock:
            self.ledger.forget_old()
            self.history.async_forget_old()
            await self._async_reconcile(KINDS)
            return self.ledger.latest

    async def _async_catch_up_kinds(self, keys: set[str]) -> None:
        """List only the kinds that are behind; a failure is left to a full catch-up."""
        try:
            async with self._listing_lock:
                await self._async_reconcile(keys)
        except ConfigEntryAuthFailed, UpdateFailed:
            # The coordinator's refresh reports it: reauth, or unavailable and retried.
            self.async_catch_up()

    async def _async_reconcile(self, keys: Iterable[str]) -> None:
        """List the kinds of keys that are due, one turn at a time, and publish what is new."""
        errors: list[UpdateFailed] = []
        for kind in [kind for key, kind in KINDS.items() if key in keys]:
            if not self.ledger.due_for_listing(kind):
                continue
            # Items published while the listing is under way are newer than what it shows.
            with self.ledger.listing() as mark:
                try:
                    items = await self.fetcher.async_list(kind)
                except ConfigEntryAuthFailed:
                    raise
                except UpdateFailed as err:
                    if err.retry_after is not None:
                        raise
                    errors.append(err)
                    continue
                await self._async_reconcile_kind(kind, items, mark)
        if errors:
            raise errors[0]

    async def _async_reconcile_kind(
        self, kind: DataKind[Any], items: Sequence[Summary], mark: int
    ) -> None:
        """Publish what a listing shows new, or take the kind's baseline on its first listing.

        A catch-up may bring hundreds of items: the event loop is let go between groups of
        them, so that webhook deliveries are answered meanwhile.
        """
        ordered = sorted(items, key=lambda item: item.order)
        self.ledger.mark_listed(kind)
        self.history.async_add(kind, ordered)
        self.backfill.async_listed(kind)
        if not self.ledger.has_baseline(kind):
            self.ledger.take_baseline(kind, list(ordered))
            self.data = self.ledger.latest
            return
        # Offering publishes (or holds) each new item; the new ones are kept for their followers.
        published: list[Summary] = []
        for item in ordered:
            if (
                not self.fetcher.busy(kind, item.key)
                and not self.ledger.remembered_since(kind, item.key, mark)
                and self.publisher.async_offer(kind, item)
            ):
                published.append(item)
                if len(published) % PUBLISH_GROUP == 0:
                    await asyncio.sleep(0)
        # A follower listed in this reconcile anyway needs no fetch of its own.
        self._async_follow_up(kind, published, skip_due=True)

    @callback
    def async_set_push(self, push_ok: bool) -> None:
        """Reconcile rarely while Polar pushes, and poll while it cannot."""
        interval = RECONCILE_INTERVAL if push_ok else POLL_INTERVAL
        if interval == self.update_interval:
            return
        self.update_interval = interval
        if self._listeners:
            self._schedule_refresh()

    @callback
    def async_catch_up(self) -> None:
        """Reconcile now, in the background."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} catch-up"
        )

    @callback
    def _schedule_catch_up(self, delay: float, kind: DataKind[Any]) -> None:
        """List a kind after delay seconds, with the other kinds behind by then."""
        self._behind.add(kind.key)
        if self._retry_unsub is None:
            self._retry_unsub = async_call_later(self.hass, delay, self._catch_up_job)

    @callback
    def _async_catch_up_later(self, _now: Any) -> None:
        """Catch up now that the delay has passed, or after the listing under way."""
        self._retry_unsub = None
        if self._listing_lock.locked():
            # It may have listed the kind before the lost item: another one afterwards.
            self._retry_unsub = async_call_later(
                self.hass, DROPPED_CATCH_UP_DELAY, self._catch_up_job
            )
            return
        behind, self._behind = self._behind, set()
        self.config_entry.async_create_background_task(
            self.hass, self._async_catch_up_kinds(behind), f"{DOMAIN} catch-up"
        )

    @callback
    def async_cancel_timers(self) -> None:
        """Cancel a scheduled catch-up and the backfill."""
        self.backfill.async_stop()
        if self._retry_unsub:
            self._retry_unsub()
        self._retry_unsub = None

    # Unloading

    async def async_stop_processing(self) -> None:
        """Cancel fetches under way, so nothing is published after the final save."""
        await self.fetcher.async_stop()

    async def async_flush(self) -> None:
        """Write what is pending now, before the entry unloads."""
        await self.ledger.async_flush()
        await self.history.async_flush()
