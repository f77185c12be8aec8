"""Daily activity: a day per date, announced by ACTIVITY_SUMMARY, published again on change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE, UnitOfEnergy, UnitOfLength, UnitOfTime

from .accesslink import AccessLinkUser, DailyActivity, EventType
from .const import EVENT_ACTIVITY
from .kind import DataKind, HistoryListing, PolarFlowSensorEntityDescription, PublishRule
from .summary import DatedSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivitySummary(DatedSummary):
    """What Home Assistant shows of one day's activity."""

    steps: int | None = None
    calories: int | None = None
    active_calories: int | None = None
    active_time: int | None = None
    distance_from_steps: float | None = None
    inactivity_alerts: int | None = None
    daily_activity: float | None = None

    @classmethod
    def from_activity(cls, activity: DailyActivity) -> ActivitySummary:
        """Summarise an AccessLink daily activity."""
        active = activity.active_duration
        return cls(
            date=activity.date.isoformat(),
            steps=activity.steps,
            calories=activity.calories,
            active_calories=activity.active_calories,
            active_time=round(active.total_seconds()) if active is not None else None,
            distance_from_steps=activity.distance_from_steps,
            inactivity_alerts=activity.inactivity_alert_count,
            daily_activity=activity.daily_activity,
        )


async def _fetch(user: AccessLinkUser, day: str) -> list[ActivitySummary]:
    """Fetch the activity of one date."""
    return [ActivitySummary.from_activity(await user.get_activity(date.fromisoformat(day)))]


async def _list_recent(user: AccessLinkUser) -> list[ActivitySummary]:
    """List the activity of the last 28 days."""
    return [ActivitySummary.from_activity(item) for item in await user.list_activities()]


async def _list_history(user: AccessLinkUser, first: date, last: date) -> list[ActivitySummary]:
    """List the activity of the dates first to last."""
    days = await user.list_activities_between(first, last)
    return [ActivitySummary.from_activity(item) for item in days]


# The values are totals of the newest day, growing through it and starting again the next.
# TOTAL_INCREASING, as other step counters in Home Assistant: the statistics take a drop of
# more than 10 % as that new start and keep summing; a late sync of an earlier day never
# reaches these sensors (they stay on the newest day), so no older, larger value comes back.
def _daily_total(
    key: str, *, enabled: bool = True, **kwargs: Any
) -> PolarFlowSensorEntityDescription[ActivitySummary]:
    """Describe a sensor of one of the newest day's totals."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=enabled,
        value_fn=lambda summary: getattr(summary, key),
        **kwargs,
    )


SENSORS: tuple[PolarFlowSensorEntityDescription[ActivitySummary], ...] = (
    # Worded in the translations: "steps", "askelta".
    _daily_total("steps"),
    _daily_total("calories", native_unit_of_measurement=UnitOfEnergy.KILO_CALORIE),
    _daily_total("active_calories", native_unit_of_measurement=UnitOfEnergy.KILO_CALORIE),
    _daily_total(
        "active_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
    ),
    PolarFlowSensorEntityDescription(
        key="daily_activity",
        translation_key="daily_activity",
        # The share of the day's activity goal reached; beyond 100 once the goal is met.
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda summary: summary.daily_activity,
    ),
    _daily_total(
        "distance_from_steps",
        enabled=False,
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
    ),
    _daily_total("inactivity_alerts", enabled=False),
)

ACTIVITY = DataKind[ActivitySummary](
    key="activity",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.ACTIVITY_SUMMARY,),
    bus_event=EVENT_ACTIVITY,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=ActivitySummary.from_dict,
    event=EventEntityDescription(
        key="activity", translation_key="activity", event_types=["activity"]
    ),
    event_type=lambda _summary: "activity",
    sensors=SENSORS,
    # AccessLink serves 365 days back; 52 weeks stay inside that in any time zone.
    list_history=HistoryListing(
        fetch=_list_history, reach=timedelta(weeks=52), span=timedelta(days=28)
    ),
)
