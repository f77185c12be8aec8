"""What every kind's summary shares: its stored and event form, and for dated kinds the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self, get_args, get_type_hints


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSummary:
    """A flat summary whose fields are JSON values, or datetimes stored as ISO text."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a summary from its stored or event form; a missing required field raises."""
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in data:
                continue
            value = data[field.name]
            hint = hints[field.name]
            if isinstance(value, str) and datetime in (hint, *get_args(hint)):
                value = datetime.fromisoformat(value)
            values[field.name] = value
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form used for events and storage."""
        return {field.name: _json(getattr(self, field.name)) for field in fields(self)}


def _json(value: Any) -> Any:
    """Return a field's value as JSON: a datetime as ISO text."""
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class DatedSummary(StoredSummary):
    """A summary of one calendar date, which is its key and its order."""

    date: str

    def __post_init__(self) -> None:
        """Refuse a date that is not an ISO date."""
        date.fromisoformat(self.date)

    @property
    def key(self) -> str:
        """Return the ISO date."""
        return self.date

    @property
    def order(self) -> str:
        """Return the ISO date, which sorts as text."""
        return self.date
