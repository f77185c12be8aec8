"""Diagnostics: the health of push and of one account, secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import PolarFlowConfigEntry

TO_REDACT = {
    "access_token",
    "refresh_token",
    "token",
    "signature_secret_key",
    "secret",
    "title",
    "unique_id",
    "x_user_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PolarFlowConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "webhook": entry.runtime_data.webhooks.diagnostics(),
        "account": {
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "notices": asdict(coordinator.stats),
            "latest_exercise": coordinator.data.as_dict() if coordinator.data else None,
        },
    }
