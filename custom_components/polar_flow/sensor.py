"""Sensors that show the newest item of each kind of an account's Polar data."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PolarFlowConfigEntry
from .coordinator import PolarFlowCoordinator
from .entity import PolarFlowEntity, async_add_kind_entities
from .kinds import DataKind, PolarFlowSensorEntityDescription, SensorValue

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PolarFlowConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every kind of an account."""
    coordinator = entry.runtime_data.coordinator
    entry.async_on_unload(
        async_add_kind_entities(
            coordinator,
            async_add_entities,
            lambda kind: [
                PolarFlowSensor(coordinator, kind, description) for description in kind.sensors
            ],
        )
    )


class PolarFlowSensor(PolarFlowEntity, SensorEntity):
    """A value of a kind's newest item."""

    entity_description: PolarFlowSensorEntityDescription[Any]

    def __init__(
        self,
        coordinator: PolarFlowCoordinator,
        kind: DataKind[Any],
        description: PolarFlowSensorEntityDescription[Any],
    ) -> None:
        """Initialise the sensor of one value of a kind."""
        super().__init__(coordinator, description)
        self._kind = kind.key
        # What the state was last written with: the kind's newest item and the availability.
        self._shown = (coordinator.data.get(kind.key), self.available)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when the kind's newest item or the availability changed.

        Each newest item of any kind updates the coordinator's listeners: a burst of workouts
        would otherwise rewrite every night's and day's sensor once per workout.
        """
        shown = (self.coordinator.data.get(self._kind), self.available)
        if shown[0] is self._shown[0] and shown[1] == self._shown[1]:
            return
        self._shown = shown
        super()._handle_coordinator_update()

    @property
    def native_value(self) -> SensorValue:
        """Return the value from the kind's newest item."""
        if (item := self.coordinator.data.get(self._kind)) is None:
            return None
        return self.entity_description.value_fn(item)

    @property
    def available(self) -> bool:
        """Stay available with the last known item while AccessLink is unreachable."""
        return self._kind in self.coordinator.data or super().available
