"""Continuous heart rate: a day per date, announced by CONTINUOUS_HEART_RATE, and caught up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.util import dt as dt_util

from .accesslink import AccessLinkUser, ContinuousHeartRate, EventType
from .const import EVENT_CONTINUOUS_HEART_RATE
from .kind import DataKind, HistoryListing, PolarFlowSensorEntityDescription, PublishRule
from .summary import DatedSummary

BPM = "bpm"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartRateSummary(DatedSummary):
    """What Home Assistant shows of one day's continuous heart rate."""

    heart_rate: int | None = None
    time: datetime | None = None
    minimum: int | None = None
    average: int | None = None
    maximum: int | None = None

    @classmethod
    def from_heart_rate(cls, day: ContinuousHeartRate) -> HeartRateSummary:
        """Summarise a day of samples; its latest sample is the current heart rate."""
        if not day.samples:
            return cls(date=day.date.isoformat())
        rates = [sample.heart_rate for sample in day.samples]
        latest = day.samples[-1]
        # Samples carry the device's clock time of that date and no offset: the device keeps
        # the user's local time, which is taken to be Home Assistant's configured time zone.
        when = datetime.combine(day.date, latest.time, tzinfo=dt_util.get_default_time_zone())
        return cls(
            date=day.date.isoformat(),
            heart_rate=latest.heart_rate,
            time=when,
            minimum=min(rates),
            average=round(sum(rates) / len(rates)),
            maximum=max(rates),
        )


async def _fetch(user: AccessLinkUser, day: str) -> list[HeartRateSummary]:
    """Fetch the continuous heart rate of one date."""
    found = await user.get_continuous_heart_rate(date.fromisoformat(day))
    return [HeartRateSummary.from_heart_rate(found)]


async def _list_recent(user: AccessLinkUser) -> list[HeartRateSummary]:
    """List yesterday's and today's continuous heart rate, today being Home Assistant's."""
    today = dt_util.now().date()
    days = await user.list_continuous_heart_rate(today - timedelta(days=1), today)
    return [HeartRateSummary.from_heart_rate(day) for day in days]


async def _list_history(user: AccessLinkUser, first: date, last: date) -> list[HeartRateSummary]:
    """List the continuous heart rate of the dates first to last."""
    days = await user.list_continuous_heart_rate(first, last)
    return [HeartRateSummary.from_heart_rate(day) for day in days]


def _heart_rate(key: str, attribute: str) -> PolarFlowSensorEntityDescription[HeartRateSummary]:
    """Describe a secondary sensor of the day's heart rate range."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=BPM,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: getattr(summary, attribute),
    )


SENSORS: tuple[PolarFlowSensorEntityDescription[HeartRateSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="heart_rate",
        translation_key="heart_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=BPM,
        value_fn=lambda summary: summary.heart_rate,
    ),
    PolarFlowSensorEntityDescription(
        key="heart_rate_time",
        translation_key="heart_rate_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.time,
    ),
    _heart_rate("heart_rate_day_minimum", "minimum"),
    _heart_rate("heart_rate_day_average", "average"),
    _heart_rate("heart_rate_day_maximum", "maximum"),
)

CONTINUOUS_HEART_RATE = DataKind[HeartRateSummary](
    key="continuous_heart_rate",
    rule=PublishRule.LATEST_PER_DATE,
    events=(EventType.CONTINUOUS_HEART_RATE,),
    bus_event=EVENT_CONTINUOUS_HEART_RATE,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=HeartRateSummary.from_dict,
    event=EventEntityDescription(
        key="continuous_heart_rate",
        translation_key="continuous_heart_rate",
        event_types=["heart_rate"],
    ),
    event_type=lambda _summary: "heart_rate",
    sensors=SENSORS,
    # The recent listing shows two days; AccessLink keeps about 28.
    list_history=HistoryListing(
        fetch=_list_history, reach=timedelta(days=28), span=timedelta(days=28)
    ),
)
