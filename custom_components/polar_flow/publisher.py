"""Publishing an account's new items: sensors first, then the bus event and the event entities."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .kinds import DataKind, Summary
from .ledger import Ledger

type PublishListener = Callable[[DataKind[Any], Summary], None]


@dataclass(slots=True)
class NoticeStats:
    """Counts of one kind shown in diagnostics."""

    received: int = 0
    published: int = 0
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    dropped: int = 0


class Publisher:
    """Publish each item that is new under its kind's rule, once Home Assistant runs."""

    def __init__(
        self,
        hass: HomeAssistant,
        ledger: Ledger,
        stats: Mapping[str, NoticeStats],
        event_data: Mapping[str, Any],
        on_newest: Callable[[], None],
    ) -> None:
        """Publish with event_data in every bus event; on_newest shows a kind's newest item."""
        self._hass = hass
        self._ledger = ledger
        self._stats = stats
        self._event_data = dict(event_data)
        self._on_newest = on_newest
        self._listeners: list[PublishListener] = []
        self._held: dict[tuple[str, str], tuple[DataKind[Any], Summary]] | None = {}

    @callback
    def async_add_listener(self, listener: PublishListener) -> CALLBACK_TYPE:
        """Call listener with every published item, after the sensors show it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_start(self) -> None:
        """Publish what was held back, now that entities and automations listen."""
        held, self._held = self._held or {}, None
        for kind, item in sorted(held.values(), key=lambda pair: pair[1].order):
            self.async_offer(kind, item)

    @callback
    def async_offer(self, kind: DataKind[Any], item: Summary) -> bool:
        """Publish an item that is new under its kind's rule, or hold it until Home Assistant runs.

        Returns whether the item is new.
        """
        if not self._ledger.is_new(kind, item):
            self._stats[kind.key].duplicates += 1
            return False
        if self._held is not None:
            # Entities and automations are not listening yet; a later version replaces it.
            self._held[(kind.key, item.key)] = (kind, item)
        else:
            self._publish(kind, item)
        return True

    @callback
    def _publish(self, kind: DataKind[Any], item: Summary) -> None:
        """Publish one item.

        The sensors show the newest item before anything announces it, so an automation
        triggered by the event and conditioned on a sensor sees the item that triggered it.
        """
        self._ledger.remember(kind, item)
        self._stats[kind.key].published += 1
        if self._ledger.offer_latest(kind, item):
            self._on_newest()
        self._ledger.save()
        self._hass.bus.async_fire(kind.bus_event, {**self._event_data, **item.as_dict()})
        for listener in list(self._listeners):
            listener(kind, item)
