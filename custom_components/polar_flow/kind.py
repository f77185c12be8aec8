"""What declares a kind of Polar data: how it is announced, fetched, summarised and shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import hashlib
import json
from typing import Any, Protocol

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorEntityDescription

from .accesslink import AccessLinkUser, EventType, Notice

type SensorValue = str | int | float | datetime | None


class Summary(Protocol):
    """The flat form of one item that events, entities and storage share."""

    @property
    def key(self) -> str:
        """Return the item's key: an exercise id or an ISO date."""

    @property
    def order(self) -> str:
        """Return a sortable text: the later the item, the greater."""

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form used for events and storage."""


class PublishRule(StrEnum):
    """When an item is published."""

    # Each item once: an exercise never changes after it is published.
    ONCE_PER_ID = "once_per_id"
    # A date again whenever its content changed: a late sync rewrites a night or a day.
    LATEST_PER_DATE = "latest_per_date"


@dataclass(frozen=True, kw_only=True)
class PolarFlowSensorEntityDescription[S](SensorEntityDescription):
    """Describes a sensor showing one value of a kind's newest item."""

    value_fn: Callable[[S], SensorValue]


@dataclass(frozen=True, kw_only=True, slots=True)
class DataKind[S: Summary]:
    """A kind of Polar data, declared once; the account's pipeline does the rest."""

    key: str
    rule: PublishRule
    # Webhook events announcing an item; none when Polar pushes nothing for the kind.
    events: tuple[EventType, ...]
    bus_event: str
    fetch: Callable[[AccessLinkUser, str], Awaitable[S]]
    list_recent: Callable[[AccessLinkUser], Awaitable[Sequence[S]]]
    restore: Callable[[Mapping[str, Any]], S]
    event: EventEntityDescription
    event_type: Callable[[S], str]
    sensors: tuple[PolarFlowSensorEntityDescription[S], ...] = ()
    # Kinds fetched for the same key once an item of this one arrived (no webhook of their own).
    then: tuple[str, ...] = ()
    # Answers "not found" tolerated before giving up, and the wait between: None for the default.
    not_found_attempts: int | None = None
    not_found_delay: float | None = None

    def notice_key(self, notice: Notice) -> str | None:
        """Return the key a notice announces: its exercise id or its date."""
        if self.rule is PublishRule.ONCE_PER_ID:
            return notice.entity_id
        return notice.date.isoformat() if notice.date else None


def content_hash(summary: Summary) -> str:
    """Return a short digest of what a summary shows."""
    text = json.dumps(summary.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
