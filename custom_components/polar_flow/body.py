"""Body sensing: SpO2 tests, sleep skin temperature and body temperature (Polar pushes none).

Only some devices measure these, so each kind is listed once a day and its entities appear
with the account's first item.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Protocol

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE, UnitOfTemperature, UnitOfTime

from .accesslink import (
    AccessLinkUser,
    BodyTemperaturePeriod,
    SkinTemperature,
    Spo2TestResult,
)
from .const import EVENT_BODY_TEMPERATURE, EVENT_SKIN_TEMPERATURE, EVENT_SPO2
from .kind import DataKind, PolarFlowSensorEntityDescription, PublishRule
from .summary import DatedSummary, StoredSummary

# A device without the sensor costs one request a day per kind, across restarts too.
LIST_EVERY: Final = timedelta(days=1)

SPO2_CLASSES = ("very_low", "low", "normal")
DEVIATIONS = ("no_baseline", "below_usual", "usual", "above_usual")
SPO2_STATUSES = ("passed", "inconclusive")
MEASUREMENT_TYPES = ("skin_temperature", "core_temperature")
SENSOR_LOCATIONS = ("distal", "proximal")
# The event type of an item Polar gave no (known) status for.
MEASURED = "measured"


def enum_key(value: str | None, prefix: str, keys: tuple[str, ...]) -> str | None:
    """Return the key of a Polar enum value such as SPO2_CLASS_LOW, None if not a known one."""
    if value is None or not value.startswith(prefix):
        return None
    key = value.removeprefix(prefix).lower()
    return key if key in keys else None


def _spo2_status(value: str | None) -> str | None:
    """Return passed or inconclusive (for any of Polar's reasons), None if unknown."""
    if value == "SPO2_TEST_PASSED":
        return "passed"
    if value is not None and value.startswith("SPO2_TEST_INCONCLUSIVE"):
        return "inconclusive"
    return None


def _utc_key(moment: datetime) -> str:
    """Return a moment as UTC ISO text: the key of timed items, which sorts as text."""
    return moment.astimezone(UTC).isoformat()


class _Keyed(Protocol):
    """A summary with a key."""

    @property
    def key(self) -> str:
        """Return the item's key."""


async def _fetch_day[S: _Keyed](
    items: Callable[[date, date], Awaitable[Sequence[S]]], key: str, day: date
) -> list[S]:
    """List the days around an item's day (dates of any zone) and return the item of key."""
    listed = await items(day - timedelta(days=1), day + timedelta(days=1))
    return [item for item in listed if item.key == key]


@dataclass(frozen=True, slots=True, kw_only=True)
class Spo2Summary(StoredSummary):
    """What Home Assistant shows of one SpO2 test."""

    time: datetime
    status: str | None = None
    blood_oxygen: int | None = None
    spo2_class: str | None = None
    deviation: str | None = None
    heart_rate: int | None = None
    heart_rate_variability: float | None = None

    @classmethod
    def from_test(cls, test: Spo2TestResult) -> Spo2Summary:
        """Summarise an AccessLink SpO2 test."""
        return cls(
            time=test.test_time,
            status=_spo2_status(test.test_status),
            blood_oxygen=test.blood_oxygen_percent,
            spo2_class=enum_key(test.spo2_class, "SPO2_CLASS_", SPO2_CLASSES),
            deviation=enum_key(test.spo2_value_deviation_from_baseline, "DEVIATION_", DEVIATIONS),
            heart_rate=test.average_heart_rate_bpm,
            heart_rate_variability=test.heart_rate_variability_ms,
        )

    @property
    def key(self) -> str:
        """Return the test's time in UTC."""
        return _utc_key(self.time)

    @property
    def order(self) -> str:
        """Return the test's time in UTC, which sorts as text."""
        return self.key


@dataclass(frozen=True, slots=True, kw_only=True)
class SkinTemperatureSummary(DatedSummary):
    """What Home Assistant shows of one night's skin temperature."""

    temperature: float | None = None
    deviation: float | None = None

    @classmethod
    def from_skin_temperature(cls, night: SkinTemperature) -> SkinTemperatureSummary:
        """Summarise an AccessLink night's skin temperature."""
        return cls(
            date=night.sleep_date.isoformat(),
            temperature=night.sleep_time_skin_temperature_celsius,
            deviation=night.deviation_from_baseline_celsius,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyTemperatureSummary(StoredSummary):
    """What Home Assistant shows of one period of body temperature readings."""

    start: datetime
    end: datetime | None = None
    measurement_type: str | None = None
    sensor_location: str | None = None
    temperature: float | None = None
    measured_at: datetime | None = None
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def from_period(cls, period: BodyTemperaturePeriod) -> BodyTemperatureSummary:
        """Summarise an AccessLink body temperature period by its last reading."""
        readings = [sample.temperature_celsius for sample in period.samples]
        latest = period.latest_sample
        return cls(
            start=period.start_time,
            end=period.end_time,
            measurement_type=enum_key(period.measurement_type, "TM_", MEASUREMENT_TYPES),
            sensor_location=enum_key(period.sensor_location, "SL_", SENSOR_LOCATIONS),
            temperature=latest.temperature_celsius if latest else None,
            measured_at=(
                period.start_time + timedelta(milliseconds=latest.recording_time_delta_milliseconds)
                if latest
                else None
            ),
            minimum=min(readings, default=None),
            maximum=max(readings, default=None),
        )

    @property
    def key(self) -> str:
        """Return the period's start in UTC."""
        return _utc_key(self.start)

    @property
    def order(self) -> str:
        """Return the period's start in UTC, which sorts as text."""
        return self.key


async def _list_spo2(user: AccessLinkUser) -> list[Spo2Summary]:
    """List the SpO2 tests of the last 28 days."""
    return [Spo2Summary.from_test(test) for test in await user.list_spo2()]


async def _fetch_spo2(user: AccessLinkUser, key: str) -> list[Spo2Summary]:
    """Fetch the SpO2 test taken at a time."""

    async def tests(start: date, end: date) -> list[Spo2Summary]:
        return [Spo2Summary.from_test(test) for test in await user.list_spo2(start, end)]

    return await _fetch_day(tests, key, datetime.fromisoformat(key).date())


async def _list_skin_temperature(user: AccessLinkUser) -> list[SkinTemperatureSummary]:
    """List the nights' skin temperatures of the last 28 days."""
    return [
        SkinTemperatureSummary.from_skin_temperature(night)
        for night in await user.list_skin_temperature()
    ]


async def _fetch_skin_temperature(user: AccessLinkUser, key: str) -> list[SkinTemperatureSummary]:
    """Fetch the skin temperature of one night."""
    day = date.fromisoformat(key)
    return [
        summary
        for night in await user.list_skin_temperature(day, day)
        if (summary := SkinTemperatureSummary.from_skin_temperature(night)).key == key
    ]


async def _list_body_temperature(user: AccessLinkUser) -> list[BodyTemperatureSummary]:
    """List the body temperature periods of the last 28 days."""
    return [
        BodyTemperatureSummary.from_period(period) for period in await user.list_body_temperature()
    ]


async def _fetch_body_temperature(user: AccessLinkUser, key: str) -> list[BodyTemperatureSummary]:
    """Fetch the body temperature period that started at a time."""

    async def periods(start: date, end: date) -> list[BodyTemperatureSummary]:
        listed = await user.list_body_temperature(start, end)
        return [BodyTemperatureSummary.from_period(period) for period in listed]

    return await _fetch_day(periods, key, datetime.fromisoformat(key).date())


def _temperature[S](
    key: str,
    value_fn: Callable[[S], float | None],
    *,
    delta: bool = False,
    enabled: bool = True,
) -> PolarFlowSensorEntityDescription[S]:
    """Describe a sensor of a temperature in °C, or of a difference of temperatures."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=(
            SensorDeviceClass.TEMPERATURE_DELTA if delta else SensorDeviceClass.TEMPERATURE
        ),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


SPO2_SENSORS: tuple[PolarFlowSensorEntityDescription[Spo2Summary], ...] = (
    PolarFlowSensorEntityDescription(
        key="blood_oxygen",
        translation_key="blood_oxygen",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda summary: summary.blood_oxygen,
    ),
    PolarFlowSensorEntityDescription(
        key="blood_oxygen_class",
        translation_key="blood_oxygen_class",
        device_class=SensorDeviceClass.ENUM,
        options=list(SPO2_CLASSES),
        value_fn=lambda summary: summary.spo2_class,
    ),
    PolarFlowSensorEntityDescription(
        key="blood_oxygen_deviation",
        translation_key="blood_oxygen_deviation",
        device_class=SensorDeviceClass.ENUM,
        options=list(DEVIATIONS),
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.deviation,
    ),
    PolarFlowSensorEntityDescription(
        key="spo2_test_time",
        translation_key="spo2_test_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.time,
    ),
    PolarFlowSensorEntityDescription(
        key="spo2_test_heart_rate",
        translation_key="spo2_test_heart_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="bpm",
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.heart_rate,
    ),
    PolarFlowSensorEntityDescription(
        key="spo2_test_heart_rate_variability",
        translation_key="spo2_test_heart_rate_variability",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.heart_rate_variability,
    ),
)

SKIN_TEMPERATURE_SENSORS: tuple[PolarFlowSensorEntityDescription[SkinTemperatureSummary], ...] = (
    _temperature("skin_temperature", lambda summary: summary.temperature),
    _temperature("skin_temperature_deviation", lambda summary: summary.deviation, delta=True),
)

BODY_TEMPERATURE_SENSORS: tuple[PolarFlowSensorEntityDescription[BodyTemperatureSummary], ...] = (
    _temperature("body_temperature", lambda summary: summary.temperature),
    _temperature("body_temperature_minimum", lambda summary: summary.minimum, enabled=False),
    _temperature("body_temperature_maximum", lambda summary: summary.maximum, enabled=False),
    PolarFlowSensorEntityDescription(
        key="body_temperature_time",
        translation_key="body_temperature_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.measured_at,
    ),
)

SPO2 = DataKind[Spo2Summary](
    key="spo2",
    rule=PublishRule.LATEST_PER_DATE,
    events=(),
    bus_event=EVENT_SPO2,
    fetch=_fetch_spo2,
    list_recent=_list_spo2,
    restore=Spo2Summary.from_dict,
    event=EventEntityDescription(
        key="spo2", translation_key="spo2", event_types=[*SPO2_STATUSES, MEASURED]
    ),
    event_type=lambda summary: summary.status or MEASURED,
    sensors=SPO2_SENSORS,
    list_every=LIST_EVERY,
    entities_on_first_item=True,
)

SKIN_TEMPERATURE = DataKind[SkinTemperatureSummary](
    key="skin_temperature",
    rule=PublishRule.LATEST_PER_DATE,
    events=(),
    bus_event=EVENT_SKIN_TEMPERATURE,
    fetch=_fetch_skin_temperature,
    list_recent=_list_skin_temperature,
    restore=SkinTemperatureSummary.from_dict,
    event=EventEntityDescription(
        key="skin_temperature", translation_key="skin_temperature", event_types=[MEASURED]
    ),
    event_type=lambda _summary: MEASURED,
    sensors=SKIN_TEMPERATURE_SENSORS,
    list_every=LIST_EVERY,
    entities_on_first_item=True,
)

BODY_TEMPERATURE = DataKind[BodyTemperatureSummary](
    key="body_temperature",
    rule=PublishRule.LATEST_PER_DATE,
    events=(),
    bus_event=EVENT_BODY_TEMPERATURE,
    fetch=_fetch_body_temperature,
    list_recent=_list_body_temperature,
    restore=BodyTemperatureSummary.from_dict,
    event=EventEntityDescription(
        key="body_temperature", translation_key="body_temperature", event_types=[MEASURED]
    ),
    event_type=lambda _summary: MEASURED,
    sensors=BODY_TEMPERATURE_SENSORS,
    list_every=LIST_EVERY,
    entities_on_first_item=True,
)
