"""Cardio load: a day's training load, fetched after each exercise and listed once a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass

from .accesslink import AccessLinkUser, CardioLoad
from .const import EVENT_CARDIO_LOAD
from .kind import DataKind, HistoryListing, PolarFlowSensorEntityDescription, PublishRule
from .summary import DatedSummary

if TYPE_CHECKING:
    from .exercise import ExerciseSummary

# Polar's statuses, from ratio of strain to tolerance; "not available" and unknown ones are None.
STATUSES = (
    "detraining",
    "maintaining",
    "productive",
    "productive_almost_overreaching",
    "overreaching",
    "recovery_after_overreaching",
    "productive_dropped_from_overreaching",
)
# The event type of a day whose status Polar did not give.
NO_STATUS = "measured"


def status_key(status: str | None) -> str | None:
    """Return the enum key of a Polar cardio load status, None when it is not one."""
    key = status.lower() if status else None
    return key if key in STATUSES else None


def exercise_day(exercise: ExerciseSummary) -> str | None:
    """Return the local date an exercise started on: the day its cardio load counts for."""
    return exercise.start.date().isoformat() if exercise.start else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CardioLoadSummary(DatedSummary):
    """What Home Assistant shows of one day's cardio load."""

    status: str | None = None
    cardio_load: float | None = None
    strain: float | None = None
    tolerance: float | None = None
    load_ratio: float | None = None

    @classmethod
    def from_load(cls, load: CardioLoad) -> CardioLoadSummary:
        """Summarise an AccessLink cardio load."""
        return cls(
            date=load.date.isoformat(),
            status=status_key(load.cardio_load_status),
            cardio_load=load.cardio_load,
            strain=load.strain,
            tolerance=load.tolerance,
            load_ratio=load.cardio_load_ratio,
        )


def _summaries(loads: list[CardioLoad]) -> list[CardioLoadSummary]:
    """Summarise the days Polar calculated something for; the rest are placeholders."""
    return [CardioLoadSummary.from_load(load) for load in loads if load.calculated]


async def _fetch(user: AccessLinkUser, day: str) -> list[CardioLoadSummary]:
    """Fetch the cardio load of one date."""
    return _summaries(await user.get_cardio_load(date.fromisoformat(day)))


async def _list_recent(user: AccessLinkUser) -> list[CardioLoadSummary]:
    """List the cardio loads of the last 28 days."""
    return _summaries(await user.list_cardio_load())


async def _list_history(user: AccessLinkUser, first: date, last: date) -> list[CardioLoadSummary]:
    """List the cardio loads from first on: Polar counts its periods back from today (last)."""
    return _summaries(await user.list_cardio_load_days((last - first).days + 1))


def _load(key: str, *, enabled: bool = True) -> PolarFlowSensorEntityDescription[CardioLoadSummary]:
    """Describe a unitless load value of the newest day."""
    return PolarFlowSensorEntityDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_registry_enabled_default=enabled,
        value_fn=lambda summary: getattr(summary, key.removeprefix("cardio_load_")),
    )


SENSORS: tuple[PolarFlowSensorEntityDescription[CardioLoadSummary], ...] = (
    _load("cardio_load"),
    PolarFlowSensorEntityDescription(
        key="cardio_load_status",
        translation_key="cardio_load_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(STATUSES),
        value_fn=lambda summary: summary.status,
    ),
    _load("cardio_load_strain"),
    _load("cardio_load_tolerance"),
    PolarFlowSensorEntityDescription(
        key="cardio_load_ratio",
        translation_key="cardio_load_ratio",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        value_fn=lambda summary: summary.load_ratio,
    ),
)

CARDIO_LOAD = DataKind[CardioLoadSummary](
    key="cardio_load",
    rule=PublishRule.LATEST_PER_DATE,
    # Polar pushes nothing for cardio load: it follows each exercise and is listed daily.
    events=(),
    bus_event=EVENT_CARDIO_LOAD,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=CardioLoadSummary.from_dict,
    event=EventEntityDescription(
        key="cardio_load", translation_key="cardio_load", event_types=[*STATUSES, NO_STATUS]
    ),
    event_type=lambda summary: summary.status or NO_STATUS,
    sensors=SENSORS,
    list_every=timedelta(days=1),
    # Polar serves up to 180 days (6 months) in one period.
    list_history=HistoryListing(
        fetch=_list_history, reach=timedelta(days=180), span=timedelta(days=180)
    ),
)
