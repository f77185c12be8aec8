"""Physical information: the account's current settings, announced by PHYSICAL_INFORMATION."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfLength, UnitOfMass, UnitOfTime

from .accesslink import AccessLinkNotFoundError, AccessLinkUser, EventType, Notice, PhysicalInfo
from .const import EVENT_PHYSICAL_INFORMATION
from .kind import DataKind, PolarFlowSensorEntityDescription, PublishRule
from .summary import StoredSummary

# The one key of the account's physical information: Polar keeps only the current version,
# so an item is published again whenever its content changes.
CURRENT: Final = "current"


def current(_notice: Notice) -> str:
    """Return the key a PHYSICAL_INFORMATION notice announces: it carries no date."""
    return CURRENT


@dataclass(frozen=True, slots=True, kw_only=True)
class PhysicalSummary(StoredSummary):
    """What Home Assistant shows of the physical information; never birthday or gender."""

    modified: datetime | None = None
    weight: float | None = None
    height: float | None = None
    vo2_max: int | None = None
    resting_heart_rate: int | None = None
    maximum_heart_rate: int | None = None
    aerobic_threshold: int | None = None
    anaerobic_threshold: int | None = None
    sleep_goal: int | None = None

    @classmethod
    def from_info(cls, info: PhysicalInfo) -> PhysicalSummary:
        """Summarise AccessLink physical information."""
        goal = info.sleep_goal
        return cls(
            modified=info.modified or info.created,
            weight=info.weight,
            height=info.height,
            vo2_max=info.vo2_max,
            resting_heart_rate=info.resting_heart_rate,
            maximum_heart_rate=info.maximum_heart_rate,
            aerobic_threshold=info.aerobic_threshold,
            anaerobic_threshold=info.anaerobic_threshold,
            sleep_goal=round(goal.total_seconds()) if goal is not None else None,
        )

    @property
    def key(self) -> str:
        """Return the one key of the current physical information."""
        return CURRENT

    @property
    def order(self) -> str:
        """Return the time of the change as sortable text; an unknown time sorts first."""
        return self.modified.astimezone(UTC).isoformat() if self.modified else ""


async def _fetch(user: AccessLinkUser, _key: str) -> list[PhysicalSummary]:
    """Fetch the current physical information."""
    return [PhysicalSummary.from_info(await user.get_physical_info())]


async def _list_recent(user: AccessLinkUser) -> list[PhysicalSummary]:
    """List the current physical information; an account without any lists nothing."""
    try:
        return await _fetch(user, CURRENT)
    except AccessLinkNotFoundError:
        return []


def _heart_rate(
    key: str, *, enabled: bool = False
) -> PolarFlowSensorEntityDescription[PhysicalSummary]:
    """Describe a heart rate setting, in beats per minute."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="bpm",
        entity_registry_enabled_default=enabled,
        value_fn=lambda summary: getattr(summary, key),
    )


SENSORS: tuple[PolarFlowSensorEntityDescription[PhysicalSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="weight",
        translation_key="weight",
        device_class=SensorDeviceClass.WEIGHT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        suggested_display_precision=1,
        value_fn=lambda summary: summary.weight,
    ),
    PolarFlowSensorEntityDescription(
        key="vo2_max",
        translation_key="vo2_max",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="ml/kg/min",
        value_fn=lambda summary: summary.vo2_max,
    ),
    _heart_rate("resting_heart_rate", enabled=True),
    _heart_rate("maximum_heart_rate"),
    _heart_rate("aerobic_threshold"),
    _heart_rate("anaerobic_threshold"),
    PolarFlowSensorEntityDescription(
        key="height",
        translation_key="height",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.height,
    ),
    PolarFlowSensorEntityDescription(
        key="sleep_goal",
        translation_key="sleep_goal",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.sleep_goal,
    ),
)

PHYSICAL_INFORMATION = DataKind[PhysicalSummary](
    key="physical_information",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.PHYSICAL_INFORMATION,),
    notice_key=current,
    bus_event=EVENT_PHYSICAL_INFORMATION,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=PhysicalSummary.from_dict,
    event=EventEntityDescription(
        key="physical_information",
        translation_key="physical_information",
        event_types=["physical_information"],
    ),
    event_type=lambda _summary: "physical_information",
    sensors=SENSORS,
    # The history keeps one version per day the information changed, for weight over time.
    history_key=lambda summary: (
        summary.modified.date().isoformat() if summary.modified else CURRENT
    ),
)
