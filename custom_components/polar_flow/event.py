"""An event entity that fires when a Polar account finishes an exercise."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PolarFlowConfigEntry
from .entity import PolarFlowEntity
from .models import ExerciseSummary

PARALLEL_UPDATES = 0

EVENT_TYPE_EXERCISE = "exercise"

EXERCISE_EVENT = EventEntityDescription(
    key="exercise",
    translation_key="exercise",
    event_types=[EVENT_TYPE_EXERCISE],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PolarFlowConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the exercise event entity of an account."""
    async_add_entities([PolarFlowExerciseEvent(entry.runtime_data.coordinator, EXERCISE_EVENT)])


class PolarFlowExerciseEvent(PolarFlowEntity, EventEntity):
    """Fires with the summary of every newly published exercise."""

    async def async_added_to_hass(self) -> None:
        """Listen for exercises."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_exercise_listener(self._async_exercise))

    @callback
    def _async_exercise(self, summary: ExerciseSummary) -> None:
        """Fire the event."""
        self._trigger_event(EVENT_TYPE_EXERCISE, summary.as_dict())
        self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """Stay available: the event keeps its last state while AccessLink is unreachable."""
        return True
