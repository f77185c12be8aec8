"""Sensors that show the latest exercise of a Polar account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import UnitOfEnergy, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PolarFlowConfigEntry
from .entity import PolarFlowEntity
from .models import KNOWN_SPORTS, ExerciseSummary, sport_key

PARALLEL_UPDATES = 0

type SensorValue = str | int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class PolarFlowSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of the latest exercise."""

    value_fn: Callable[[ExerciseSummary], SensorValue]


SENSORS: tuple[PolarFlowSensorEntityDescription, ...] = (
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


def _whole(value: float | None) -> int | None:
    """Return value rounded to a whole number."""
    return None if value is None else round(value)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PolarFlowConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the latest-exercise sensors of an account."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(PolarFlowSensor(coordinator, description) for description in SENSORS)


class PolarFlowSensor(PolarFlowEntity, SensorEntity):
    """A value of the latest exercise."""

    entity_description: PolarFlowSensorEntityDescription

    @property
    def native_value(self) -> SensorValue:
        """Return the value from the latest exercise."""
        if (summary := self.coordinator.data) is None:
            return None
        return self.entity_description.value_fn(summary)

    @property
    def available(self) -> bool:
        """Stay available with the last known exercise while AccessLink is unreachable."""
        return self.coordinator.data is not None or super().available
