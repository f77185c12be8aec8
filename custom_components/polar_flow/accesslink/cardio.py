"""Cardio load model of AccessLink v3 (/v3/users/cardio-load)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import (
    InvalidDataError,
    first,
    opt_date,
    opt_float,
    opt_mapping,
    opt_str,
    require_mapping,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

# The status of a day whose load Polar could not calculate.
LOAD_STATUS_NOT_AVAILABLE = "LOAD_STATUS_NOT_AVAILABLE"


@dataclass(frozen=True, slots=True, kw_only=True)
class CardioLoadLevels:
    """Load levels of the past 90 days' sessions that a session's load is compared with."""

    very_low: float | None = None
    low: float | None = None
    medium: float | None = None
    high: float | None = None
    very_high: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CardioLoadLevels:
        """Parse the levels; Polar's spec spells the last one "very-high"."""
        return cls(
            very_low=opt_float(first(data, "very_low", "very-low")),
            low=opt_float(data.get("low")),
            medium=opt_float(data.get("medium")),
            high=opt_float(data.get("high")),
            very_high=opt_float(first(data, "very-high", "very_high")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CardioLoad:
    """The cardio load of one date; every field but date may be missing."""

    date: dt.date
    # Polar's status text as sent (DETRAINING ... OVERREACHING), unknown values included.
    cardio_load_status: str | None = None
    cardio_load: float | None = None
    strain: float | None = None
    tolerance: float | None = None
    cardio_load_ratio: float | None = None
    cardio_load_level: CardioLoadLevels | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CardioLoad:
        """Parse a cardio-load object; only a missing or invalid date raises InvalidDataError."""
        data = require_mapping(data, "cardio load")
        day = opt_date(data.get("date"))
        if day is None:
            raise InvalidDataError("cardio load without a valid 'date'")
        levels = opt_mapping(data.get("cardio_load_level"))
        return cls(
            date=day,
            cardio_load_status=opt_str(data.get("cardio_load_status")),
            cardio_load=opt_float(data.get("cardio_load")),
            strain=opt_float(data.get("strain")),
            tolerance=opt_float(data.get("tolerance")),
            cardio_load_ratio=opt_float(data.get("cardio_load_ratio")),
            cardio_load_level=CardioLoadLevels.from_dict(levels) if levels is not None else None,
        )

    @property
    def calculated(self) -> bool:
        """Return whether Polar calculated anything for the date."""
        values = (self.cardio_load, self.strain, self.tolerance, self.cardio_load_ratio)
        has_status = self.cardio_load_status not in (None, LOAD_STATUS_NOT_AVAILABLE)
        return has_status or any(value is not None for value in values)
