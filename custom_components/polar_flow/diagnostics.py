"""Diagnostics: the health of push and of one account, secrets and health data redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from . import PolarFlowConfigEntry

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
            "kinds": {
                key: {
                    "notices": asdict(stats),
                    # Every value is the user's health data; which ones are set stays visible.
                    "latest": (
                        dict.fromkeys(latest.as_dict(), REDACTED)
                        if (latest := coordinator.data.get(key))
                        else None
                    ),
                }
                for key, stats in coordinator.stats.items()
            },
            # How many items of each kind the account's own history keeps: counts only.
            "history": coordinator.history.counts(),
            "backfill": coordinator.backfill.diagnostics(),
        },
    }
