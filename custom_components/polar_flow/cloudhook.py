"""Home Assistant Cloud webhooks, used only when the cloud component is loaded."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .const import LOGGER


def cloud_subscribed(hass: HomeAssistant) -> bool:
    """Return whether the user has an active Home Assistant Cloud subscription."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415 - optional, heavy dependency

    return cloud.async_active_subscription(hass)


async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return a cloudhook URL for webhook_id, or None when the cloud cannot give one."""
    from homeassistant.components import cloud  # noqa: PLC0415 - optional, heavy dependency

    try:
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not available, using the external URL")
        return None


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the cloudhook of webhook_id."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415 - optional, heavy dependency

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not available to delete the cloudhook")
