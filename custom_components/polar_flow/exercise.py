"""Exercises: published once each, announced by EXERCISE notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from homeassistant.components.event import EventEntityDescription
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import UnitOfEnergy, UnitOfLength, UnitOfTime

from .accesslink import AccessLinkUser, EventType, Exercise
from .cardio_load import exercise_day
from .const import EVENT_EXERCISE
from .kind import DataKind, FollowUp, PolarFlowSensorEntityDescription, PublishRule, by_entity_id
from .summary import StoredSummary

KNOWN_SPORTS = (
    "running",
    "cycling",
    "walking",
    "hiking",
    "swimming",
    "strength_training",
    "cross_country_skiing",
    "rowing",
    "yoga",
    "other",
)


def sport_key(sport: str | None) -> str | None:
    """Return the enum sensor key of a Polar sport; unknown sports become 'other'."""
    if not sport:
        return None
    key = sport.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in KNOWN_SPORTS else "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExerciseSummary(StoredSummary):
    """What Home Assistant shows of one exercise."""

    exercise_id: str
    sport: str | None = None
    detailed_sport: str | None = None
    start: datetime | None = None
    duration: float | None = None
    distance: float | None = None
    calories: int | None = None
    heart_rate_average: int | None = None
    heart_rate_maximum: int | None = None
    training_load: float | None = None
    device: str | None = None

    @classmethod
    def from_exercise(cls, exercise: Exercise) -> ExerciseSummary:
        """Summarise an AccessLink exercise."""
        return cls(
            exercise_id=exercise.id,
            sport=exercise.sport,
            detailed_sport=exercise.detailed_sport_info,
            start=exercise.start_time,
            duration=exercise.duration.total_seconds() if exercise.duration else None,
            distance=exercise.distance,
            calories=exercise.calories,
            heart_rate_average=exercise.heart_rate_average,
            heart_rate_maximum=exercise.heart_rate_maximum,
            training_load=exercise.training_load,
            device=exercise.device,
        )

    @property
    def key(self) -> str:
        """Return the exercise id."""
        return self.exercise_id

    @property
    def order(self) -> str:
        """Return the start as sortable text; an unknown start sorts first."""
        return self.start.astimezone(UTC).isoformat() if self.start else ""


async def _fetch(user: AccessLinkUser, exercise_id: str) -> list[ExerciseSummary]:
    """Fetch one exercise by its id."""
    return [ExerciseSummary.from_exercise(await user.get_exercise(exercise_id))]


async def _list_recent(user: AccessLinkUser) -> list[ExerciseSummary]:
    """List the exercises of the last 30 days."""
    return [ExerciseSummary.from_exercise(exercise) for exercise in await user.list_exercises()]


def _whole(value: float | None) -> int | None:
    """Return value rounded to a whole number."""
    return None if value is None else round(value)


SENSORS: tuple[PolarFlowSensorEntityDescription[ExerciseSummary], ...] = (
    PolarFlowSensorEntityDescription(
        key="last_exercise_start",
        translation_key="last_exercise_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda summary: summary.start,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_sport",
        translation_key="last_exercise_sport",
        device_class=SensorDeviceClass.ENUM,
        options=list(KNOWN_SPORTS),
        value_fn=lambda summary: sport_key(summary.sport),
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_duration",
        translation_key="last_exercise_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=lambda summary: summary.duration,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_distance",
        translation_key="last_exercise_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=2,
        value_fn=lambda summary: summary.distance,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_calories",
        translation_key="last_exercise_calories",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_CALORIE,
        value_fn=lambda summary: summary.calories,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_heart_rate_average",
        translation_key="last_exercise_heart_rate_average",
        entity_registry_enabled_default=False,
        native_unit_of_measurement="bpm",
        value_fn=lambda summary: summary.heart_rate_average,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_heart_rate_maximum",
        translation_key="last_exercise_heart_rate_maximum",
        entity_registry_enabled_default=False,
        native_unit_of_measurement="bpm",
        value_fn=lambda summary: summary.heart_rate_maximum,
    ),
    PolarFlowSensorEntityDescription(
        key="last_exercise_training_load",
        translation_key="last_exercise_training_load",
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        # Unitless, so the frontend shows the state unformatted: round it here.
        value_fn=lambda summary: _whole(summary.training_load),
    ),
)

EXERCISE = DataKind[ExerciseSummary](
    key="exercise",
    rule=PublishRule.ONCE_PER_ID,
    events=(EventType.EXERCISE,),
    notice_key=by_entity_id,
    bus_event=EVENT_EXERCISE,
    fetch=_fetch,
    list_recent=_list_recent,
    restore=ExerciseSummary.from_dict,
    event=EventEntityDescription(
        key="exercise", translation_key="exercise", event_types=["exercise"]
    ),
    event_type=lambda _summary: "exercise",
    sensors=SENSORS,
    then=(FollowUp("cardio_load", exercise_day),),
)
