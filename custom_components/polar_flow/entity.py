"""Base entity of a Polar account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PolarFlowCoordinator


class PolarFlowEntity(CoordinatorEntity[PolarFlowCoordinator]):
    """An entity on the device of one Polar account."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: PolarFlowCoordinator, description: EntityDescription) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.user_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, str(coordinator.user_id))})
