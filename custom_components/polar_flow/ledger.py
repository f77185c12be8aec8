"""What an account has published, per kind of data, kept in a Store across restarts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NotRequired, TypedDict, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .kinds import DataKind, PublishRule, Summary, content_hash

STORAGE_VERSION = 2
# Longer than AccessLink lists anything (30 days), so a listed item is never published twice.
SEEN_RETENTION = 45 * 24 * 3600


class StoredSeen(TypedDict):
    """When an item was published, and the digest of what it showed."""

    at: float
    hash: str | None


class StoredKind(TypedDict):
    """What is persisted per kind of data."""

    seen: dict[str, StoredSeen]
    latest: dict[str, Any] | None
    listed_at: NotRequired[float]


class StoredAccount(TypedDict):
    """What is persisted per Polar account."""

    kinds: dict[str, StoredKind]


class _AccountStore(Store[StoredAccount]):
    """The account's store, which knows the exercise-only layout of version 1."""

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> StoredAccount:
        """Move version 1 (exercises only) under kinds.exercise."""
        if old_major_version != 1:
            # A later minor version of this layout: nothing to convert.
            return StoredAccount(kinds=old_data.get("kinds", {}))
        seen = old_data.get("seen")
        exercise = StoredKind(
            seen={
                str(key): StoredSeen(at=float(value), hash=None)
                for key, value in (seen.items() if isinstance(seen, dict) else ())
                if isinstance(value, int | float)
            },
            latest=old_data.get("latest"),
        )
        return StoredAccount(kinds={"exercise": exercise})


class Ledger:
    """Remember per kind which items were published, and the newest one of each."""

    def __init__(
        self, hass: HomeAssistant, user_id: int, kinds: Mapping[str, DataKind[Any]]
    ) -> None:
        """Initialise the ledger of one account."""
        self._store = account_store(hass, user_id)
        self._kinds = kinds
        self._seen: dict[str, dict[str, StoredSeen]] = {}
        self._latest: dict[str, Summary] = {}
        self._listed_at: dict[str, float] = {}
        # How many items were remembered, and, while a listing is under way, when each key last
        # was: the listing tells them apart. Nothing is kept per item between listings.
        self._remembered = 0
        self._remembered_at: dict[tuple[str, str], int] = {}
        self._listing = False

    @property
    def latest(self) -> dict[str, Summary]:
        """Return the newest item of each kind that has one."""
        return dict(self._latest)

    async def async_load(self) -> None:
        """Restore what was stored; a kind never stored gets a baseline at the first listing."""
        stored = await self._store.async_load()
        kinds = stored.get("kinds") if isinstance(stored, dict) else None
        if not isinstance(kinds, dict):
            return
        for key, kind in self._kinds.items():
            data = kinds.get(key)
            if not isinstance(data, dict) or not isinstance(data.get("seen"), dict):
                continue
            self._seen[key] = {
                str(item): StoredSeen(at=float(seen["at"]), hash=seen.get("hash"))
                for item, seen in data["seen"].items()
                if isinstance(seen, dict) and isinstance(seen.get("at"), int | float)
            }
            if isinstance(listed_at := data.get("listed_at"), int | float):
                self._listed_at[key] = float(listed_at)
            try:
                if latest := data.get("latest"):
                    self._latest[key] = kind.restore(latest)
            except KeyError, TypeError, ValueError:
                LOGGER.debug("Ignored an unreadable latest %s in storage", key)

    def due_for_listing(self, kind: DataKind[Any]) -> bool:
        """Return whether a kind listed only now and then is due to be listed again."""
        if kind.list_every is None or (listed_at := self._listed_at.get(kind.key)) is None:
            return True
        return _now() >= listed_at + kind.list_every.total_seconds()

    def mark_due(self, kind: DataKind[Any]) -> None:
        """List a kind listed only now and then at the next reconcile: a fetch of it failed."""
        if self._listed_at.pop(kind.key, None) is not None:
            self.save()

    def mark_listed(self, kind: DataKind[Any]) -> None:
        """Remember when a kind was listed, for kinds listed only now and then."""
        if kind.list_every is not None:
            self._listed_at[kind.key] = _now()
            self.save()

    def has_baseline(self, kind: DataKind[Any]) -> bool:
        """Return whether the kind was listed before, so what is new can be told apart."""
        return kind.key in self._seen

    def take_baseline(self, kind: DataKind[Any], items: list[Summary]) -> None:
        """Remember listed items as seen without publishing them: no flood of old events."""
        self._seen.setdefault(kind.key, {})
        for item in items:
            self.remember(kind, item)
            self.offer_latest(kind, item)
        self.save()

    def is_new(self, kind: DataKind[Any], item: Summary) -> bool:
        """Return whether an item is to be published under its kind's rule."""
        seen = self._seen.get(kind.key, {}).get(item.key)
        if seen is None:
            return True
        return kind.rule is PublishRule.LATEST_PER_DATE and seen["hash"] != content_hash(item)

    def was_seen(self, kind: DataKind[Any], key: str) -> bool:
        """Return whether an item of this key was published."""
        return key in self._seen.get(kind.key, {})

    @contextmanager
    def listing(self) -> Iterator[int]:
        """Tell apart the items remembered while a listing is under way; give its mark."""
        # The coordinator lists one kind at a time, never two at once.
        self._listing = True
        try:
            yield self._remembered
        finally:
            self._listing = False
            self._remembered_at.clear()

    def remembered_since(self, kind: DataKind[Any], key: str, mark: int) -> bool:
        """Return whether an item was remembered after the mark of a listing under way."""
        return self._remembered_at.get((kind.key, key), -1) >= mark

    def remember(self, kind: DataKind[Any], item: Summary) -> None:
        """Mark an item as published with its content."""
        if self._listing:
            self._remembered_at[(kind.key, item.key)] = self._remembered
        self._remembered += 1
        digest = content_hash(item) if kind.rule is PublishRule.LATEST_PER_DATE else None
        self._seen.setdefault(kind.key, {})[item.key] = StoredSeen(at=_now(), hash=digest)

    def offer_latest(self, kind: DataKind[Any], item: Summary) -> bool:
        """Keep item as the kind's newest unless a later one is known; return whether it is."""
        current = self._latest.get(kind.key)
        if current is not None and current.key != item.key and not _newer(item, current):
            return False
        self._latest[kind.key] = item
        return True

    def forget_old(self) -> None:
        """Forget items older than AccessLink lists, but never a kind's newest one.

        A kind showing its current state (physical information) lists that item for ever.
        """
        cutoff = _now() - SEEN_RETENTION
        for key, seen in self._seen.items():
            newest = latest.key if (latest := self._latest.get(key)) else None
            self._seen[key] = {
                item: at for item, at in seen.items() if at["at"] >= cutoff or item == newest
            }

    def save(self) -> None:
        """Persist soon, batching the writes of a burst."""
        self._store.async_delay_save(self._stored, 1)

    async def async_flush(self) -> None:
        """Write everything now, before the entry unloads, after any write under way."""
        await self._store.async_save(self._stored())

    def _stored(self) -> StoredAccount:
        """Return what is persisted."""
        return StoredAccount(
            kinds={key: self._stored_kind(key, seen) for key, seen in self._seen.items()}
        )

    def _stored_kind(self, key: str, seen: dict[str, StoredSeen]) -> StoredKind:
        """Return what is persisted of one kind."""
        latest = self._latest.get(key)
        stored = StoredKind(seen=dict(seen), latest=latest.as_dict() if latest else None)
        if (listed_at := self._listed_at.get(key)) is not None:
            stored["listed_at"] = listed_at
        return stored


def account_store(hass: HomeAssistant, user_id: int) -> Store[StoredAccount]:
    """Return the store of one account; private, as it holds health data."""
    return _AccountStore(hass, STORAGE_VERSION, f"{DOMAIN}.account_{user_id}", private=True)


def _newer(item: Summary, than: Summary) -> bool:
    """Return whether item is at least as late as than; an unknown time counts as later."""
    return not item.order or not than.order or item.order >= than.order


def _now() -> float:
    """Return Home Assistant's clock in seconds."""
    return dt_util.utcnow().timestamp()
