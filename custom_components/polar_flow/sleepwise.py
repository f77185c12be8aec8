"""SleepWise: alertness and circadian bedtime periods, announced by notices with from/to dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass

from .accesslink import (
    AccessLinkUser,
    Alertness,
    CircadianBedtime,
    EventType,
    InvalidIdError,
)
from .accesslink.sleepwise import MAX_RANGE
from .const import EVENT_SLEEPWISE_ALERTNESS, EVENT_SLEEPWISE_CIRCADIAN_BEDTIME
from .kind import DataKind, PolarFlowSensorEntityDescription, PublishRule, by_period
from .summary import StoredSummary

# Polar's enumerations, by the suffix after their prefix; UNKNOWN and values added later are None.
CLASSIFICATIONS: Final = ("weak", "fair", "strong", "excellent")
SLEEP_INERTIAS: Final = ("no_inertia", "mild", "moderate", "heavy")
VALIDITIES: Final = ("reset", "not_valid", "estimate", "valid")
RESULT_TYPES: Final = ("prediction", "history")
QUALITIES: Final = ("weak", "compromised", "clearly_recognizable")
# The event type of an alertness period whose grade Polar did not classify.
NO_CLASSIFICATION: Final = "measured"


def enum_key(value: str | None, prefix: str, keys: tuple[str, ...]) -> str | None:
    """Return the key of a Polar enumeration value such as GRADE_CLASSIFICATION_STRONG."""
    if value is None or not value.startswith(prefix):
        return None
    key = value.removeprefix(prefix).lower()
    return key if key in keys else None


def _period_key(start: datetime) -> str:
    """Return a period's key: its start in UTC, which sorts as text."""
    return start.astimezone(UTC).isoformat()


def _range(key: str) -> tuple[date, date]:
    """Return the dates of a "from/to" notice key; a range AccessLink refuses is not asked."""
    first, _, last = key.partition("/")
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as err:
        raise InvalidIdError("the notice's period is not two dates") from err
    if start > end:
        raise InvalidIdError("the notice's period starts after it ends")
    # Older days of a longer notice are listed by the catch-up of the last 28 days.
    return max(start, end - MAX_RANGE), end


def _datetime(value: Any) -> datetime | None:
    """Return a stored ISO datetime, or None."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Period(StoredSummary):
    """What both SleepWise summaries share: keyed and ordered by the period's start."""

    period_start: datetime

    @property
    def key(self) -> str:
        """Return the period's start in UTC."""
        return _period_key(self.period_start)

    @property
    def order(self) -> str:
        """Return the period's start, which sorts as text."""
        return self.key


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertnessSummary(_Period):
    """What Home Assistant shows of one alertness period."""

    period_start: datetime
    period_end: datetime | None = None
    grade: float | None = None
    classification: str | None = None
    sleep_inertia: str | None = None
    validity: str | None = None
    result_type: str | None = None
    sleep_start: datetime | None = None
    sleep_end: datetime | None = None

    @classmethod
    def from_alertness(cls, alertness: Alertness) -> AlertnessSummary:
        """Summarise an AccessLink alertness period; its hourly levels are left out."""
        return cls(
            period_start=alertness.period_start_time,
            period_end=alertness.period_end_time,
            grade=alertness.grade,
            classification=enum_key(
                alertness.grade_classification, "GRADE_CLASSIFICATION_", CLASSIFICATIONS
            ),
            sleep_inertia=enum_key(alertness.sleep_inertia, "SLEEP_INERTIA_", SLEEP_INERTIAS),
            validity=enum_key(alertness.validity, "VALIDITY_", VALIDITIES),
            result_type=enum_key(alertness.result_type, "ALERTNESS_TYPE_", RESULT_TYPES),
            sleep_start=alertness.sleep_period_start_time,
            sleep_end=alertness.sleep_period_end_time,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BedtimeSummary(_Period):
    """What Home Assistant shows of one circadian bedtime period."""

    period_start: datetime
    period_end: datetime | None = None
    sleep_window_start: datetime | None = None
    sleep_window_end: datetime | None = None
    sleep_gate_start: datetime | None = None
    sleep_gate_end: datetime | None = None
    quality: str | None = None
    validity: str | None = None
    result_type: str | None = None

    @classmethod
    def from_bedtime(cls, bedtime: CircadianBedtime) -> BedtimeSummary:
        """Summarise an AccessLink circadian bedtime period."""
        return cls(
            period_start=bedtime.period_start_time,
            period_end=bedtime.period_end_time,
            sleep_window_start=bedtime.preferred_sleep_period_start_time,
            sleep_window_end=bedtime.preferred_sleep_period_end_time,
            sleep_gate_start=bedtime.sleep_gate_start_time,
            sleep_gate_end=bedtime.sleep_gate_end_time,
            quality=enum_key(bedtime.quality, "CIRCADIAN_BEDTIME_QUALITY_", QUALITIES),
            validity=enum_key(bedtime.validity, "VALIDITY_", VALIDITIES),
            result_type=enum_key(bedtime.result_type, "CIRCADIAN_BEDTIME_TYPE_", RESULT_TYPES),
        )


async def _fetch_alertness(user: AccessLinkUser, key: str) -> list[AlertnessSummary]:
    """Fetch the alertness periods of a notice's dates."""
    start, end = _range(key)
    return [AlertnessSummary.from_alertness(item) for item in await user.get_alertness(start, end)]


async def _list_alertness(user: AccessLinkUser) -> list[AlertnessSummary]:
    """List the alertness periods of the last 28 days; none without a SleepWise device."""
    return [AlertnessSummary.from_alertness(item) for item in await user.list_alertness()]


async def _fetch_bedtime(user: AccessLinkUser, key: str) -> list[BedtimeSummary]:
    """Fetch the circadian bedtime periods of a notice's dates."""
    start, end = _range(key)
    periods = await user.get_circadian_bedtime(start, end)
    return [BedtimeSummary.from_bedtime(item) for item in periods]


async def _list_bedtime(user: AccessLinkUser) -> list[BedtimeSummary]:
    """List the circadian bedtime periods of the last 28 days."""
    return [BedtimeSummary.from_bedtime(item) for item in await user.list_circadian_bedtime()]


def _enum[S](
    key: str, options: tuple[str, ...], attribute: str, *, enabled: bool = False
) -> PolarFlowSensorEntityDescription[S]:
    """Describe a sensor of one of Polar's enumerations, its states translated."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENUM,
        options=list(options),
        entity_registry_enabled_default=enabled,
        value_fn=lambda summary: getattr(summary, attribute),
    )


def _timestamp(key: str, attribute: str) -> PolarFlowSensorEntityDescription[BedtimeSummary]:
    """Describe a sensor of a bedtime time, usable in time triggers with an offset."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda summary: getattr(summary, attribute),
    )


# The newest period is today's: a period starts with a measured sleep, never in the future.
ALERTNESS_SENSORS: tuple[PolarFlowSensorEntityDescription[AlertnessSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="alertness_grade",
        translation_key="alertness_grade",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda summary: summary.grade,
    ),
    _enum("alertness_classification", CLASSIFICATIONS, "classification", enabled=True),
    _enum("sleep_inertia", SLEEP_INERTIAS, "sleep_inertia"),
    _enum("alertness_validity", VALIDITIES, "validity"),
)

# The newest period is the coming (or current) night's.
BEDTIME_SENSORS: tuple[PolarFlowSensorEntityDescription[BedtimeSummary], ...] = (
    _timestamp("sleep_window_start", "sleep_window_start"),
    _timestamp("sleep_window_end", "sleep_window_end"),
    _timestamp("sleep_gate_start", "sleep_gate_start"),
    _timestamp("sleep_gate_end", "sleep_gate_end"),
    _enum("circadian_bedtime_quality", QUALITIES, "quality"),
    _enum("circadian_bedtime_validity", VALIDITIES, "validity"),
)

SLEEPWISE_ALERTNESS = DataKind[AlertnessSummary](
    key="sleepwise_alertness",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.SLEEP_WISE_ALERTNESS,),
    notice_key=by_period,
    bus_event=EVENT_SLEEPWISE_ALERTNESS,
    fetch=_fetch_alertness,
    list_recent=_list_alertness,
    restore=AlertnessSummary.from_dict,
    event=EventEntityDescription(
        key="sleepwise_alertness",
        translation_key="sleepwise_alertness",
        event_types=[*CLASSIFICATIONS, NO_CLASSIFICATION],
    ),
    event_type=lambda summary: summary.classification or NO_CLASSIFICATION,
    sensors=ALERTNESS_SENSORS,
    # Only devices with SleepWise have periods: no entities until the first one.
    entities_on_first_item=True,
)

SLEEPWISE_CIRCADIAN_BEDTIME = DataKind[BedtimeSummary](
    key="sleepwise_circadian_bedtime",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.SLEEP_WISE_CIRCADIAN_BEDTIME,),
    notice_key=by_period,
    bus_event=EVENT_SLEEPWISE_CIRCADIAN_BEDTIME,
    fetch=_fetch_bedtime,
    list_recent=_list_bedtime,
    restore=BedtimeSummary.from_dict,
    event=EventEntityDescription(
        key="sleepwise_circadian_bedtime",
        translation_key="sleepwise_circadian_bedtime",
        event_types=["circadian_bedtime"],
    ),
    event_type=lambda _summary: "circadian_bedtime",
    sensors=BEDTIME_SENSORS,
    entities_on_first_item=True,
)
