"""Sleep: a night per date, announced by SLEEP notices, published again when it changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfTime

from .accesslink import AccessLinkUser, EventType, Sleep
from .const import EVENT_SLEEP
from .kind import DataKind, FollowUp, PolarFlowSensorEntityDescription, PublishRule
from .summary import DatedSummary

# Polar's 1-5 scale of last night's sleep compared with the usual of 28 days.
SLEEP_CHARGES = ("much_below_usual", "below_usual", "usual", "above_usual", "much_above_usual")


def scale_key(value: int | None, keys: tuple[str, ...]) -> str | None:
    """Return the key of a 1-based Polar scale value, None outside the scale."""
    if value is None or not 1 <= value <= len(keys):
        return None
    return keys[value - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class SleepSummary(DatedSummary):
    """What Home Assistant shows of one night."""

    start: datetime | None = None
    end: datetime | None = None
    sleep_score: int | None = None
    sleep_time: int | None = None
    light_sleep: int | None = None
    deep_sleep: int | None = None
    rem_sleep: int | None = None
    interruptions: int | None = None
    continuity: float | None = None
    sleep_charge: str | None = None

    @classmethod
    def from_sleep(cls, sleep: Sleep) -> SleepSummary:
        """Summarise an AccessLink night."""
        stages = (
            sleep.light_sleep,
            sleep.deep_sleep,
            sleep.rem_sleep,
            sleep.unrecognized_sleep_stage,
        )
        known = [stage for stage in stages if stage is not None]
        return cls(
            date=sleep.date.isoformat(),
            start=sleep.sleep_start_time,
            end=sleep.sleep_end_time,
            sleep_score=sleep.sleep_score,
            sleep_time=sum(known) if known else None,
            light_sleep=sleep.light_sleep,
            deep_sleep=sleep.deep_sleep,
            rem_sleep=sleep.rem_sleep,
            interruptions=sleep.total_interruption_duration,
            continuity=sleep.continuity,
            sleep_charge=scale_key(sleep.sleep_charge, SLEEP_CHARGES),
        )


async def _fetch(user: AccessLinkUser, day: str) -> list[SleepSummary]:
    """Fetch the night of one date."""
    return [SleepSummary.from_sleep(await user.get_sleep(date.fromisoformat(day)))]


async def _list_recent(user: AccessLinkUser) -> list[SleepSummary]:
    """List the nights of the last 28 days."""
    return [SleepSummary.from_sleep(sleep) for sleep in await user.list_sleep()]


def _duration(key: str, *, enabled: bool = False) -> PolarFlowSensorEntityDescription[SleepSummary]:
    """Describe a sleep duration sensor, shown in hours."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        entity_registry_enabled_default=enabled,
        value_fn=lambda summary: getattr(summary, key),
    )


SENSORS: tuple[PolarFlowSensorEntityDescription[SleepSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="sleep_score",
        translation_key="sleep_score",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda summary: summary.sleep_score,
    ),
    _duration("sleep_time", enabled=True),
    PolarFlowSensorEntityDescription(
        key="sleep_start",
        translation_key="sleep_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda summary: summary.start,
    ),
    PolarFlowSensorEntityDescription(
        key="sleep_end",
        translation_key="sleep_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda summary: summary.end,
    ),
    _duration("light_sleep"),
    _duration("deep_sleep"),
    _duration("rem_sleep"),
    PolarFlowSensorEntityDescription(
        key="sleep_interruptions",
        translation_key="sleep_interruptions",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.interruptions,
    ),
    PolarFlowSensorEntityDescription(
        key="sleep_continuity",
        translation_key="sleep_continuity",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.continuity,
    ),
    PolarFlowSensorEntityDescription(
        key="sleep_charge",
        translation_key="sleep_charge",
        device_class=SensorDeviceClass.ENUM,
        options=list(SLEEP_CHARGES),
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.sleep_charge,
    ),
)

SLEEP = DataKind[SleepSummary](
    key="sleep",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.SLEEP,),
    bus_event=EVENT_SLEEP,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=SleepSummary.from_dict,
    event=EventEntityDescription(key="sleep", translation_key="sleep", event_types=["sleep"]),
    event_type=lambda _summary: "sleep",
    sensors=SENSORS,
    # Polar pushes nothing for Nightly Recharge: it is fetched for each night that arrives.
    then=(FollowUp("nightly_recharge", lambda night: night.key),),
)
