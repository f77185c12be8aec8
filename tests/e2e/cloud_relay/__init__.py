"""A stand-in for Home Assistant Cloud's cloudhooks, for the end-to-end tests only.

It relays POST /cloud_relay/<webhook_id> to the webhook component as a MockRequest, the way the
cloud component hands over a cloudhook delivery, and answers what the cloud would pass back. It
also makes homeassistant.components.cloud report an active subscription whose cloudhooks are
these URLs, so that integrations choose a cloudhook as they would with a real subscription.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from homeassistant.components import cloud, webhook
from homeassistant.components.http import KEY_HASS, HomeAssistantView
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.aiohttp import MockRequest, serialize_response

DOMAIN = "cloud_relay"
PATH = "/cloud_relay"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Serve the relay and stand in for the cloud component's cloudhook functions."""
    hass.http.register_view(CloudRelayView())

    def active_subscription(_hass: HomeAssistant) -> bool:
        return True

    async def get_or_create_cloudhook(_hass: HomeAssistant, webhook_id: str) -> str:
        return f"{hass.config.external_url}{PATH}/{webhook_id}"

    async def delete_cloudhook(_hass: HomeAssistant, webhook_id: str) -> None:
        """Nothing is kept per cloudhook here."""

    def listen_connection_change(_hass: HomeAssistant, _listener: Any) -> CALLBACK_TYPE:
        return lambda: None

    cloud.async_active_subscription = active_subscription  # type: ignore[assignment]
    cloud.async_get_or_create_cloudhook = get_or_create_cloudhook  # type: ignore[assignment]
    cloud.async_delete_cloudhook = delete_cloudhook  # type: ignore[assignment]
    cloud.async_listen_connection_change = listen_connection_change  # type: ignore[assignment]
    hass.config.components.add("cloud")
    return True


class CloudRelayView(HomeAssistantView):
    """Relay a delivery as Home Assistant Cloud does (cloud/client.py async_webhook_message)."""

    url = PATH + "/{webhook_id}"
    name = "cloud_relay"
    requires_auth = False

    async def post(self, request: web.Request, webhook_id: str) -> web.Response:
        """Hand the request over as a MockRequest and answer what the handler answered."""
        relayed = MockRequest(
            content=(await request.text()).encode("utf-8"),
            headers=dict(request.headers),
            method=request.method,
            query_string=request.query_string,
            mock_source="cloud",
            remote=None,
        )
        response = await webhook.async_handle_webhook(request.app[KEY_HASS], webhook_id, relayed)
        answer = serialize_response(response)
        return web.Response(
            status=answer["status"], text=answer["body"], content_type=response.content_type
        )
