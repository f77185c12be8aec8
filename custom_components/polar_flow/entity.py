"""Base entity of a Polar account."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PolarFlowCoordinator
from .kind import DataKind
from .kinds import KINDS


@callback
def async_add_kind_entities(
    coordinator: PolarFlowCoordinator,
    add_entities: Callable[[Iterable[Entity]], None],
    entities_of: Callable[[DataKind[Any]], Iterable[Entity]],
) -> Callable[[], None]:
    """Add each kind's entities, a kind measured only by some devices once it has an item.

    Returns the undo of the listening for kinds still to come.
    """
    added: set[str] = set()

    @callback
    def _async_add_new_kinds() -> None:
        new = [
            kind
            for kind in KINDS.values()
            if kind.key not in added
            and (not kind.entities_on_first_item or kind.key in coordinator.data)
        ]
        added.update(kind.key for kind in new)
        if entities := [entity for kind in new for entity in entities_of(kind)]:
            add_entities(entities)

    _async_add_new_kinds()
    return coordinator.async_add_listener(_async_add_new_kinds)


class PolarFlowEntity(CoordinatorEntity[PolarFlowCoordinator]):
    """An entity on the device of one Polar account."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: PolarFlowCoordinator, description: EntityDescription) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.user_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, str(coordinator.user_id))})
