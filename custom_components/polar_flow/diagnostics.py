"""Diagnostics: the health of push and of one account, secrets and health data redacted."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import PolarFlowConfigEntry
from .models import ExerciseSummary

TO_REDACT = {
    "access_token",
    "auth_implementation",
    "refresh_token",
    "token",
    "signature_secret_key",
    "secret",
    "title",
    "unique_id",
    "x_user_id",
}
# Every value of an exercise is the user's health data; which fields were set stays visible.
EXERCISE_TO_REDACT = {field.name for field in fields(ExerciseSummary)}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PolarFlowConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    latest = coordinator.data
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "webhook": entry.runtime_data.webhooks.diagnostics(),
        "account": {
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "notices": asdict(coordinator.stats),
            "latest_exercise": (
                async_redact_data(latest.as_dict(), EXERCISE_TO_REDACT) if latest else None
            ),
        },
    }
