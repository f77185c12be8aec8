"""SleepWise models of AccessLink v3 (/v3/users/sleepwise/alertness, /circadian-bedtime).

Polar documents every SleepWise time as UTC, written without an offset; a period also gives the
sleep's time zone as sleep_timezone_offset_minutes. Times become aware datetimes at that offset
(the same instant), so they show in the user's local time. Enumerations are kept as Polar's raw
strings: a value Polar adds later is kept, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Final

from ._convert import (
    InvalidDataError,
    mappings,
    opt_datetime,
    opt_float,
    opt_int,
    opt_str,
    require_mapping,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "MAX_RANGE",
    "Alertness",
    "AlertnessHour",
    "CircadianBedtime",
    "check_range",
    "parse_periods",
]

_LOGGER = logging.getLogger(__name__)

# The longest from..to range the SleepWise date endpoints accept.
MAX_RANGE: Final = dt.timedelta(days=28)
# Offsets of the world's time zones, in minutes: anything else is not a time zone.
_MAX_OFFSET_MINUTES = 14 * 60


def check_range(start: dt.date, end: dt.date) -> None:
    """Raise ValueError unless start..end is a range AccessLink accepts (at most 28 days)."""
    if start > end:
        raise ValueError(f"the range starts after it ends: {start} > {end}")
    if end - start > MAX_RANGE:
        raise ValueError(f"the range {start}..{end} is longer than {MAX_RANGE.days} days")


def _zone(value: Any) -> dt.tzinfo | None:
    """Return the fixed time zone of an offset in minutes, None when it is not one."""
    minutes = opt_int(value)
    if minutes is None or abs(minutes) > _MAX_OFFSET_MINUTES:
        return None
    return dt.timezone(dt.timedelta(minutes=minutes))


def _time(value: Any, zone: dt.tzinfo | None) -> dt.datetime | None:
    """Parse a SleepWise time (UTC unless it says otherwise), shown in the sleep's zone."""
    parsed = opt_datetime(value)
    if parsed is None or zone is None:
        return parsed
    return parsed.astimezone(zone)


def _period_start(data: Mapping[str, Any], zone: dt.tzinfo | None, what: str) -> dt.datetime:
    """Return the start of a period, which keys it, or raise InvalidDataError."""
    start = _time(data.get("period_start_time"), zone)
    if start is None:
        raise InvalidDataError(f"{what} without a valid 'period_start_time'")
    return start


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertnessHour:
    """The alertness level of one hour of a period."""

    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    alertness_level: str | None = None
    validity: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], zone: dt.tzinfo | None) -> AlertnessHour:
        """Parse an alertness-hourly-data object."""
        return cls(
            start_time=_time(data.get("start_time"), zone),
            end_time=_time(data.get("end_time"), zone),
            alertness_level=opt_str(data.get("alertness_level")),
            validity=opt_str(data.get("validity")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Alertness:
    """One SleepWise alertness period: from a sleep's start to the end of the day after it."""

    period_start_time: dt.datetime
    period_end_time: dt.datetime | None = None
    grade: float | None = None
    grade_validity_seconds: int | None = None
    grade_type: str | None = None
    grade_classification: str | None = None
    validity: str | None = None
    sleep_inertia: str | None = None
    sleep_type: str | None = None
    result_type: str | None = None
    sleep_period_start_time: dt.datetime | None = None
    sleep_period_end_time: dt.datetime | None = None
    sleep_timezone_offset_minutes: int | None = None
    hourly_data: tuple[AlertnessHour, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alertness:
        """Parse an alertness object; only a missing or invalid period start raises."""
        data = require_mapping(data, "alertness")
        zone = _zone(data.get("sleep_timezone_offset_minutes"))
        return cls(
            period_start_time=_period_start(data, zone, "alertness"),
            period_end_time=_time(data.get("period_end_time"), zone),
            grade=opt_float(data.get("grade")),
            grade_validity_seconds=opt_int(data.get("grade_validity_seconds")),
            grade_type=opt_str(data.get("grade_type")),
            grade_classification=opt_str(data.get("grade_classification")),
            validity=opt_str(data.get("validity")),
            sleep_inertia=opt_str(data.get("sleep_inertia")),
            sleep_type=opt_str(data.get("sleep_type")),
            result_type=opt_str(data.get("result_type")),
            sleep_period_start_time=_time(data.get("sleep_period_start_time"), zone),
            sleep_period_end_time=_time(data.get("sleep_period_end_time"), zone),
            sleep_timezone_offset_minutes=opt_int(data.get("sleep_timezone_offset_minutes")),
            hourly_data=tuple(
                AlertnessHour.from_dict(hour, zone) for hour in mappings(data.get("hourly_data"))
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CircadianBedtime:
    """One SleepWise circadian bedtime period: the night's preferred sleep and its sleep gate."""

    period_start_time: dt.datetime
    period_end_time: dt.datetime | None = None
    validity: str | None = None
    quality: str | None = None
    result_type: str | None = None
    preferred_sleep_period_start_time: dt.datetime | None = None
    preferred_sleep_period_end_time: dt.datetime | None = None
    # The sleep gate: Polar's suggested window to fall asleep in.
    sleep_gate_start_time: dt.datetime | None = None
    sleep_gate_end_time: dt.datetime | None = None
    sleep_timezone_offset_minutes: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CircadianBedtime:
        """Parse a circadian-bedtime object; only a missing or invalid period start raises."""
        data = require_mapping(data, "circadian bedtime")
        zone = _zone(data.get("sleep_timezone_offset_minutes"))
        return cls(
            period_start_time=_period_start(data, zone, "circadian bedtime"),
            period_end_time=_time(data.get("period_end_time"), zone),
            validity=opt_str(data.get("validity")),
            quality=opt_str(data.get("quality")),
            result_type=opt_str(data.get("result_type")),
            preferred_sleep_period_start_time=_time(
                data.get("preferred_sleep_period_start_time"), zone
            ),
            preferred_sleep_period_end_time=_time(
                data.get("preferred_sleep_period_end_time"), zone
            ),
            sleep_gate_start_time=_time(data.get("sleep_gate_start_time"), zone),
            sleep_gate_end_time=_time(data.get("sleep_gate_end_time"), zone),
            sleep_timezone_offset_minutes=opt_int(data.get("sleep_timezone_offset_minutes")),
        )


def parse_periods[T](parse: Callable[[Mapping[str, Any]], T], payload: Any) -> list[T]:
    """Parse a SleepWise answer: a JSON array of periods, empty when there is none (204).

    Periods a model refuses (no usable start) are skipped; anything but an array raises.
    """
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise InvalidDataError("SleepWise periods must be a JSON array")
    parsed: list[T] = []
    for item in payload:
        try:
            parsed.append(parse(item))
        except InvalidDataError as err:
            _LOGGER.debug("Skipping an unusable SleepWise period: %s", err)
    return parsed
