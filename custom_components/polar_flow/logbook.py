"""Describe Polar Flow events in the logbook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_EXERCISE
from .models import sport_key

SPORT_NOUNS = {
    "running": "run",
    "cycling": "ride",
    "walking": "walk",
    "hiking": "hike",
    "swimming": "swim",
    "rowing": "row",
    "cross_country_skiing": "ski",
    "strength_training": "strength workout",
    "yoga": "yoga session",
}


def describe_exercise(data: Mapping[str, Any]) -> str:
    """Return 'finished a 42-minute run' for an exercise event."""
    noun = SPORT_NOUNS.get(sport_key(data.get("sport")) or "", "workout")
    duration = data.get("duration")
    if isinstance(duration, int | float) and duration > 0:
        return f"finished a {round(duration / 60)}-minute {noun}"
    return f"finished a {noun}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the exercise event."""
    device_registry = dr.async_get(hass)

    @callback
    def _describe(event: Event) -> dict[str, str]:
        """Return the logbook entry of one exercise."""
        device = device_registry.async_get(event.data.get("device_id", ""))
        name = (device.name_by_user or device.name) if device else None
        return {
            LOGBOOK_ENTRY_NAME: name or "Polar Flow",
            LOGBOOK_ENTRY_MESSAGE: describe_exercise(event.data),
        }

    async_describe_event(DOMAIN, EVENT_EXERCISE, _describe)
