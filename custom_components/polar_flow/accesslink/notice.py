"""Webhook notices: one voluptuous schema that decides what a notice may carry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import datetime as dt
import logging
from typing import Any, Final

import voluptuous as vol

from ._convert import InvalidDataError, opt_date, opt_datetime
from .const import EventType

__all__ = ["NOTICE_SCHEMA", "Notice"]

_LOGGER = logging.getLogger(__name__)

_EVENT_TYPES = {member.value: member for member in EventType}
_MAX_USER_ID = 2**63 - 1
_DATED_EVENTS = frozenset(
    {EventType.SLEEP, EventType.ACTIVITY_SUMMARY, EventType.CONTINUOUS_HEART_RATE}
)


class _Unusable:
    """Marks an optional field whose value cannot be used."""


_UNUSABLE: Final = _Unusable()


def _event(value: str) -> str:
    """Return the EventType member of a known event, else the string itself."""
    return _EVENT_TYPES.get(value, value)


def _user_id(value: Any) -> int:
    """Accept a Polar user id as an integer or a string of ASCII digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise vol.Invalid("user_id is not a number")


def _entity_id(value: Any) -> str:
    """Accept an id as a non-empty string or an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise vol.Invalid("not an id")


def _parsed[T](parse: Callable[[Any], T | None], what: str) -> Callable[[Any], T]:
    """Turn a converter that answers None for junk into a validator."""

    def validate(value: Any) -> T:
        result = parse(value)
        if result is None:
            raise vol.Invalid(f"not {what}")
        return result

    return validate


def _optional(*validators: Any) -> Callable[[Any], Any]:
    """Validate an optional field; a value that fails is marked, not refused."""
    check = vol.All(*validators)

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except vol.Invalid:
            return _UNUSABLE

    return validate


def _drop_unusable(data: dict[str, Any]) -> dict[str, Any]:
    """Remove the optional fields that cannot be used, naming them at debug."""
    dropped = sorted(key for key, value in data.items() if value is _UNUSABLE)
    if dropped:
        _LOGGER.debug("Dropped the unusable %s of a notice", ", ".join(dropped))
    return {key: value for key, value in data.items() if value is not _UNUSABLE}


def _required_by_event(data: dict[str, Any]) -> dict[str, Any]:
    """Require what the event needs: user_id (but PING), entity_id or date."""
    event = data["event"]
    if event != EventType.PING and "user_id" not in data:
        raise vol.Invalid("required key not provided", path=["user_id"])
    if event == EventType.EXERCISE and "entity_id" not in data:
        raise vol.Invalid(f"{event} notice without a usable 'entity_id'")
    if event in _DATED_EVENTS and "date" not in data:
        raise vol.Invalid(f"{event} notice without a usable 'date'")
    return data


_DATETIME = (str, vol.Length(max=64), _parsed(opt_datetime, "an ISO-8601 date and time"))

NOTICE_SCHEMA: Final = vol.Schema(
    vol.All(
        vol.Schema(
            {
                vol.Required("event"): vol.All(str, vol.Length(min=1, max=64), _event),
                vol.Optional("user_id"): vol.All(_user_id, vol.Range(min=0, max=_MAX_USER_ID)),
                vol.Optional("entity_id"): _optional(_entity_id, vol.Length(max=256)),
                vol.Optional("url"): _optional(str, vol.Length(min=1, max=2048)),
                vol.Optional("timestamp"): _optional(*_DATETIME),
                vol.Optional("date"): _optional(
                    str, vol.Length(max=32), _parsed(opt_date, "an ISO-8601 date")
                ),
                vol.Optional("from"): _optional(*_DATETIME),
                vol.Optional("to"): _optional(*_DATETIME),
            },
            extra=vol.REMOVE_EXTRA,
        ),
        _drop_unusable,
        _required_by_event,
    )
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A webhook payload: which data of which user is ready, and where to fetch it.

    event is an EventType member when known, else the raw string. user_id is None
    only for PING. from_time/to_time hold SleepWise "from"/"to" (dates become midnight UTC).
    """

    event: str
    user_id: int | None
    timestamp: dt.datetime | None
    url: str | None
    entity_id: str | None = None
    date: dt.date | None = None
    from_time: dt.datetime | None = None
    to_time: dt.datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        """Validate a payload with NOTICE_SCHEMA; InvalidDataError says what is wrong."""
        try:
            valid = NOTICE_SCHEMA(dict(data) if isinstance(data, Mapping) else data)
        except vol.Invalid as err:
            raise InvalidDataError(f"invalid notice: {err}") from err
        return cls(
            event=valid["event"],
            user_id=valid.get("user_id"),
            timestamp=valid.get("timestamp"),
            url=valid.get("url"),
            entity_id=valid.get("entity_id"),
            date=valid.get("date"),
            from_time=valid.get("from"),
            to_time=valid.get("to"),
        )
