"""Event entities that fire when an account's Polar data brings a new item of their kind."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PolarFlowConfigEntry
from .coordinator import PolarFlowCoordinator
from .entity import PolarFlowEntity, async_add_kind_entities
from .kinds import DataKind, Summary

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PolarFlowConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an event entity per kind of an account."""
    coordinator = entry.runtime_data.coordinator
    entry.async_on_unload(
        async_add_kind_entities(
            coordinator, async_add_entities, lambda kind: [PolarFlowEvent(coordinator, kind)]
        )
    )


class PolarFlowEvent(PolarFlowEntity, EventEntity):
    """Fires with the summary of every newly published item of one kind."""

    def __init__(self, coordinator: PolarFlowCoordinator, kind: DataKind[Any]) -> None:
        """Initialise the event entity of a kind."""
        super().__init__(coordinator, kind.event)
        self._kind = kind

    async def async_added_to_hass(self) -> None:
        """Listen for published items."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.publisher.async_add_listener(self._async_published))

    @callback
    def _handle_coordinator_update(self) -> None:
        """Keep the state: it changes only when an item of the kind is published."""

    @callback
    def _async_published(self, kind: DataKind[Any], item: Summary) -> None:
        """Fire the event for an item of this entity's kind."""
        if kind is not self._kind:
            return
        self._trigger_event(kind.event_type(item), item.as_dict())
        self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """Stay available: the event keeps its last state while AccessLink is unreachable."""
        return True
