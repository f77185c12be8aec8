"""Home Assistant Cloud webhooks, used only when the cloud component is loaded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import ClientError

from homeassistant.core import CALLBACK_TYPE, HomeAssistant

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
    except (cloud.CloudNotAvailable, ClientError, ValueError) as err:
        LOGGER.debug("No cloudhook from Home Assistant Cloud (%s), using the external URL", err)
        return None


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the cloudhook of webhook_id."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415 - optional, heavy dependency

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable, ClientError, ValueError:
        LOGGER.debug("Home Assistant Cloud is not available to delete the cloudhook")


def listen_cloud_connection(
    hass: HomeAssistant, on_change: Callable[[], Awaitable[None]]
) -> CALLBACK_TYPE | None:
    """Call on_change when Home Assistant Cloud connects or disconnects."""
    if "cloud" not in hass.config.components:
        return None
    from homeassistant.components import cloud  # noqa: PLC0415 - optional, heavy dependency

    async def _changed(_state: object) -> None:
        await on_change()

    return cloud.async_listen_connection_change(hass, _changed)
