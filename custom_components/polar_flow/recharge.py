"""Nightly Recharge: a night's recovery per date, fetched after its sleep (Polar pushes none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfTime

from .accesslink import AccessLinkUser, NightlyRecharge
from .const import EVENT_NIGHTLY_RECHARGE
from .kind import DataKind, PolarFlowSensorEntityDescription, PublishRule
from .sleep import scale_key
from .summary import DatedSummary

# Polar's 1-6 scale of how well the body recovered.
STATUSES = ("very_poor", "poor", "compromised", "ok", "good", "very_good")
# The event type of a night whose status Polar did not give.
NO_STATUS = "measured"
# Nightly Recharge may appear minutes after the sleep: ask a few times, then leave it to catch-up.
NOT_FOUND_ATTEMPTS: Final = 5
NOT_FOUND_DELAY: Final = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RechargeSummary(DatedSummary):
    """What Home Assistant shows of one night's recovery."""

    status: str | None = None
    ans_charge: float | None = None
    heart_rate_average: int | None = None
    heart_rate_variability: int | None = None
    breathing_rate: float | None = None

    @classmethod
    def from_recharge(cls, recharge: NightlyRecharge) -> RechargeSummary:
        """Summarise an AccessLink Nightly Recharge."""
        return cls(
            date=recharge.date.isoformat(),
            status=scale_key(recharge.nightly_recharge_status, STATUSES),
            ans_charge=recharge.ans_charge,
            heart_rate_average=recharge.heart_rate_avg,
            heart_rate_variability=recharge.heart_rate_variability_avg,
            breathing_rate=recharge.breathing_rate_avg,
        )


async def _fetch(user: AccessLinkUser, day: str) -> list[RechargeSummary]:
    """Fetch the Nightly Recharge of one date."""
    recharge = await user.get_nightly_recharge(date.fromisoformat(day))
    return [RechargeSummary.from_recharge(recharge)]


async def _list_recent(user: AccessLinkUser) -> list[RechargeSummary]:
    """List the Nightly Recharges of the last 28 days."""
    return [RechargeSummary.from_recharge(item) for item in await user.list_nightly_recharge()]


SENSORS: tuple[PolarFlowSensorEntityDescription[RechargeSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="nightly_recharge_status",
        translation_key="nightly_recharge_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(STATUSES),
        value_fn=lambda summary: summary.status,
    ),
    PolarFlowSensorEntityDescription(
        key="ans_charge",
        translation_key="ans_charge",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda summary: summary.ans_charge,
    ),
    PolarFlowSensorEntityDescription(
        key="heart_rate_variability",
        translation_key="heart_rate_variability",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        value_fn=lambda summary: summary.heart_rate_variability,
    ),
    PolarFlowSensorEntityDescription(
        key="nightly_heart_rate",
        translation_key="nightly_heart_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="bpm",
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.heart_rate_average,
    ),
    PolarFlowSensorEntityDescription(
        key="breathing_rate",
        translation_key="breathing_rate",
        state_class=SensorStateClass.MEASUREMENT,
        # Worded in the translations: "breaths/min", "hengitystä/min".
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.breathing_rate,
    ),
)

NIGHTLY_RECHARGE = DataKind[RechargeSummary](
    key="nightly_recharge",
    rule=PublishRule.LATEST_PER_DATE,
    events=(),
    bus_event=EVENT_NIGHTLY_RECHARGE,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=RechargeSummary.from_dict,
    event=EventEntityDescription(
        key="nightly_recharge",
        translation_key="nightly_recharge",
        event_types=[*STATUSES, NO_STATUS],
    ),
    event_type=lambda summary: summary.status or NO_STATUS,
    sensors=SENSORS,
    not_found_attempts=NOT_FOUND_ATTEMPTS,
    not_found_delay=NOT_FOUND_DELAY,
)
