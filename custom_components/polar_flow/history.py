"""An account's own history of its items, kept beyond AccessLink's 30 days in a Store."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, NotRequired, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .kinds import DataKind, Summary

STORAGE_VERSION = 1
# How long the history keeps an item: statistics and calendars reach this far back.
RETENTION = timedelta(days=2 * 366)
# Seconds to gather the writes of a burst (a first listing adds hundreds of items).
SAVE_DELAY = 10
# Up to this many changed items are put in their places in a kind's order; more sort it anew.
INSERT_AT_MOST = 64

type HistoryListener = Callable[[DataKind[Any], list[Summary], list[Summary]], None]


class Coverage(TypedDict, total=False):
    """How far back a kind's history is complete, as the backfill keeps track of it."""

    # When the kind's deep listing last finished.
    backfilled_at: float
    # The ISO date from which a deep listing is still due.
    missing_from: str
    # When AccessLink last listed the kind's recent items.
    listed_at: float


class StoredHistory(TypedDict):
    """What is persisted per account: each kind's items by their history key."""

    kinds: dict[str, dict[str, dict[str, Any]]]
    coverage: NotRequired[dict[str, Coverage]]


class History:
    """Keep every item an account had, per kind, for two years; tell listeners what changed."""

    def __init__(
        self, hass: HomeAssistant, user_id: int, kinds: Mapping[str, DataKind[Any]]
    ) -> None:
        """Initialise the history of one account."""
        self._store = history_store(hass, user_id)
        self._kinds = kinds
        self._items: dict[str, dict[str, Summary]] = {key: {} for key in kinds}
        self._listeners: list[HistoryListener] = []
        self._coverage: dict[str, Coverage] = {}
        # Per kind, its items by order and their orders: built at the first read, then kept
        # in order as items come (a profile showed a re-sort per pushed item at 14,000 items).
        self._sorted: dict[str, tuple[list[str], list[Summary]]] = {}

    async def async_load(self) -> None:
        """Restore the stored history; unreadable items are left out."""
        # Read as any JSON: a hand-edited or damaged file must not stop the account.
        stored: Any = await self._store.async_load()
        if not isinstance(stored, dict):
            return
        coverage = stored.get("coverage")
        if isinstance(coverage, dict):
            self._coverage = {
                key: _coverage(value) for key, value in coverage.items() if key in self._kinds
            }
        kinds = stored.get("kinds")
        if not isinstance(kinds, dict):
            return
        for key, kind in self._kinds.items():
            items = kinds.get(key)
            if not isinstance(items, dict):
                continue
            for history_key, data in items.items():
                try:
                    self._items[key][str(history_key)] = kind.restore(data)
                    self._sorted.pop(key, None)
                except KeyError, TypeError, ValueError, AttributeError:
                    LOGGER.debug("Ignored an unreadable %s in the history", key)

    @callback
    def async_add_listener(self, listener: HistoryListener) -> CALLBACK_TYPE:
        """Call listener(kind, changed, dropped) after items were added, changed or forgotten."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add(self, kind: DataKind[Any], items: Iterable[Summary]) -> list[Summary]:
        """Record items of a kind; return those that were new or changed, oldest first."""
        known = self._items[kind.key]
        changed: list[Summary] = []
        replaced: list[Summary | None] = []
        for item in items:
            key = history_key(kind, item)
            if (old := known.get(key)) != item:
                known[key] = item
                changed.append(item)
                replaced.append(old)
        if changed:
            if len(changed) > INSERT_AT_MOST:
                self._sorted.pop(kind.key, None)
            elif (ordered := self._sorted.get(kind.key)) is not None:
                for old, item in zip(replaced, changed, strict=True):
                    _move(ordered, old, item)
            changed.sort(key=lambda item: item.order)
            self._save()
            self._notify(kind, changed, [])
        return changed

    def items(
        self, kind_key: str, start: str | None = None, end: str | None = None
    ) -> list[Summary]:
        """Return a kind's items, oldest first, whose order is in [start, end) when given."""
        if (ordered := self._sorted.get(kind_key)) is None:
            items = sorted(self._items.get(kind_key, {}).values(), key=lambda item: item.order)
            ordered = self._sorted[kind_key] = ([item.order for item in items], items)
        orders, items = ordered
        first = 0 if start is None else bisect_left(orders, start)
        last = len(items) if end is None else bisect_left(orders, end)
        return items[first:last]

    def counts(self) -> dict[str, int]:
        """Return how many items each kind has in the history."""
        return {key: len(items) for key, items in self._items.items()}

    def coverage(self, kind_key: str) -> Coverage:
        """Return how far back a kind's history is complete."""
        return Coverage(**self._coverage.get(kind_key, {}))

    @callback
    def async_set_coverage(self, kind_key: str, coverage: Coverage) -> None:
        """Record how far back a kind's history is complete."""
        if self._coverage.get(kind_key) != coverage:
            self._coverage[kind_key] = Coverage(**coverage)
            self._save()

    @callback
    def async_forget_old(self) -> None:
        """Forget items older than the retention; an item of unknown time stays."""
        cutoff = (dt_util.utcnow() - RETENTION).date().isoformat()
        for key, known in self._items.items():
            dropped = [item for item in known.values() if item.order and item.order < cutoff]
            if not dropped:
                continue
            kind = self._kinds[key]
            for item in dropped:
                del known[history_key(kind, item)]
            self._sorted.pop(key, None)
            self._save()
            self._notify(kind, [], sorted(dropped, key=lambda item: item.order))

    async def async_flush(self) -> None:
        """Write the history now, before the entry unloads."""
        await self._store.async_save(self._stored())

    def _notify(self, kind: DataKind[Any], changed: list[Summary], dropped: list[Summary]) -> None:
        """Tell every listener what changed."""
        for listener in list(self._listeners):
            listener(kind, changed, dropped)

    def _save(self) -> None:
        """Persist soon, gathering the writes of a burst."""
        self._store.async_delay_save(self._stored, SAVE_DELAY)

    def _stored(self) -> StoredHistory:
        """Return what is persisted."""
        return StoredHistory(
            kinds={
                key: {history: item.as_dict() for history, item in items.items()}
                for key, items in self._items.items()
                if items
            },
            coverage={key: Coverage(**value) for key, value in self._coverage.items() if value},
        )


def _coverage(stored: Any) -> Coverage:
    """Return the readable part of a kind's stored coverage."""
    coverage = Coverage()
    if not isinstance(stored, dict):
        return coverage
    for name in ("backfilled_at", "listed_at"):
        if isinstance(value := stored.get(name), int | float):
            coverage[name] = float(value)
    if isinstance(missing := stored.get("missing_from"), str):
        coverage["missing_from"] = missing
    return coverage


def _move(ordered: tuple[list[str], list[Summary]], old: Summary | None, new: Summary) -> None:
    """Put new in its place among items kept by order, taking out the item it replaces."""
    orders, items = ordered
    if old is not None:
        index = bisect_left(orders, old.order)
        while items[index] is not old:
            index += 1
        del orders[index], items[index]
    order = new.order
    index = bisect_right(orders, order)
    orders.insert(index, order)
    items.insert(index, new)


def history_key(kind: DataKind[Any], item: Summary) -> str:
    """Return the key an item is kept under: its own, or its kind's history key."""
    return kind.history_key(item) if kind.history_key is not None else item.key


def history_store(hass: HomeAssistant, user_id: int) -> Store[StoredHistory]:
    """Return the history store of one account; private, as it holds health data."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.history_{user_id}", private=True)
