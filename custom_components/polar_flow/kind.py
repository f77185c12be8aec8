"""What declares a kind of Polar data: how it is announced, fetched, summarised and shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
        """Return the item's key: an exercise id, an ISO date, a period's start."""

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


def by_entity_id(notice: Notice) -> str | None:
    """Return the exercise id a notice announces."""
    return notice.entity_id


def by_date(notice: Notice) -> str | None:
    """Return the date a notice announces, as ISO text."""
    return notice.date.isoformat() if notice.date else None


def by_period(notice: Notice) -> str | None:
    """Return the period a SleepWise notice announces, as "from/to" ISO dates."""
    if notice.from_time is None or notice.to_time is None:
        return None
    return f"{notice.from_time.date().isoformat()}/{notice.to_time.date().isoformat()}"


@dataclass(frozen=True, slots=True)
class FollowUp[S: Summary]:
    """A kind without a webhook, fetched once an item of another kind arrived."""

    kind: str
    # The follower's key for the item that arrived; None when there is nothing to fetch.
    key: Callable[[S], str | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryListing[S: Summary]:
    """How AccessLink lists a kind further back than its recent listing, a range per request."""

    # The items of the dates first to last, both included.
    fetch: Callable[[AccessLinkUser, date, date], Awaitable[Sequence[S]]]
    # How many days back, today included, AccessLink serves the kind.
    reach: timedelta
    # The most days one request may ask for.
    span: timedelta


@dataclass(frozen=True, kw_only=True, slots=True)
class DataKind[S: Summary]:
    """A kind of Polar data, declared once; the account's pipeline does the rest."""

    key: str
    rule: PublishRule
    # Webhook events announcing items; none when Polar pushes nothing for the kind.
    events: tuple[EventType, ...]
    # The key a notice announces (exercise id, date, period); one fetch gets its items.
    notice_key: Callable[[Notice], str | None] = by_date
    bus_event: str
    fetch: Callable[[AccessLinkUser, str], Awaitable[Sequence[S]]]
    list_recent: Callable[[AccessLinkUser], Awaitable[Sequence[S]]]
    restore: Callable[[Mapping[str, Any]], S]
    event: EventEntityDescription
    event_type: Callable[[S], str]
    sensors: tuple[PolarFlowSensorEntityDescription[S], ...] = ()
    then: tuple[FollowUp[S], ...] = ()
    # Answers "not found" tolerated before giving up, and the wait between: None for the default.
    not_found_attempts: int | None = None
    not_found_delay: float | None = None
    # Listed at most this often (None: at every reconcile), for data that rarely changes.
    list_every: timedelta | None = None
    # Entities only once the account has an item of the kind: data only some devices measure.
    entities_on_first_item: bool = False
    # The key the account's history keeps an item under, when not its own key: a kind whose
    # one item is its current state keeps each version under the day it changed.
    history_key: Callable[[S], str] | None = None
    # Listing further back than list_recent, once for the account's history: None when
    # AccessLink serves no more than the recent listing shows.
    list_history: HistoryListing[S] | None = None


def content_hash(summary: Summary) -> str:
    """Return a short digest of what a summary shows."""
    text = json.dumps(summary.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
