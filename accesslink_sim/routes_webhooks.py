"""/v3/webhooks: the one webhook per client, with PING verification."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web

from .data import new_hash_id
from .errors import ApiError
from .keys import json_body, sim_of
from .push import EVENT_TYPES, valid_http_url
from .state import Client, Webhook

if TYPE_CHECKING:
    from .core import Simulator


def _events(value: Any) -> list[str]:
    """Validate a list of subscribable event types."""
    if not isinstance(value, list) or not value:
        raise ApiError(400, "events must be a non-empty list of event types")
    bad = [e for e in value if e not in EVENT_TYPES]
    if bad:
        raise ApiError(400, f"Unknown event type(s): {', '.join(map(str, bad))}")
    return list(dict.fromkeys(value))


async def _check_url(sim: Simulator, client: Client, value: Any) -> str:
    """Validate a webhook URL and ping it; 400 unless it answers 200."""
    if not valid_http_url(value):
        raise ApiError(400, "url must be an absolute http(s) URL")
    url = str(value)
    if not sim.pusher.url_allowed(url):
        raise ApiError(
            400,
            "Webhook url must point at a loopback address (start with --allow-remote-webhooks)",
        )
    ok, detail = await sim.pusher.ping(client.client_id, url)
    if not ok:
        raise ApiError(
            400,
            f"Webhook ping to {url} failed: {detail}",
            "WebhookPingFailedException",
        )
    return url


def _info(webhook: Webhook) -> dict[str, Any]:
    """Return a webhook without its secret."""
    return {
        "id": webhook.webhook_id,
        "events": webhook.events,
        "url": webhook.url,
        "active": webhook.active,
    }


async def create_webhook(request: web.Request) -> web.Response:
    """Create the client's webhook after a successful PING; return the secret once."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    body = await json_body(request)
    events = _events(body.get("events"))
    if client.client_id in sim.state.webhooks:
        raise ApiError(409, "Webhook already exists")
    url = await _check_url(sim, client, body.get("url"))
    if client.client_id in sim.state.webhooks:
        raise ApiError(409, "Webhook already exists")
    webhook = Webhook(
        webhook_id=new_hash_id(sim.rng, 8).lower(),
        client_id=client.client_id,
        url=url,
        events=events,
        secret=str(uuid.UUID(int=sim.rng.getrandbits(128), version=4)),
        created_at=sim.clock.now(),
    )
    sim.state.webhooks[client.client_id] = webhook
    sim.mark_dirty()
    data = {
        "id": webhook.webhook_id,
        "events": events,
        "url": url,
        "signature_secret_key": webhook.secret,
    }
    return web.json_response({"data": data}, status=201)


async def get_webhooks(request: web.Request) -> web.Response:
    """Return the client's webhook (0 or 1 items, no secret)."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is not None:
        sim.pusher.check_deactivation(webhook)
    return web.json_response({"data": [_info(webhook)] if webhook else []})


def _owned(sim: Simulator, client: Client, webhook_id: str) -> Webhook:
    """Return the client's webhook with this id, else 404."""
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is None or webhook.webhook_id != webhook_id:
        raise ApiError(404, "Webhook not found")
    return webhook


async def patch_webhook(request: web.Request) -> web.Response:
    """Change events and/or url (a new url must answer PING)."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    webhook = _owned(sim, client, request.match_info["webhook_id"])
    body = await json_body(request)
    if not {"events", "url"} & body.keys():
        raise ApiError(400, "Give events and/or url")
    events = _events(body["events"]) if "events" in body else webhook.events
    url = webhook.url
    if "url" in body and body["url"] != webhook.url:
        url = await _check_url(sim, client, body["url"])
    webhook = _owned(sim, client, request.match_info["webhook_id"])
    webhook.events, webhook.url = events, url
    sim.mark_dirty()
    return web.json_response({"data": [_info(webhook)]})


async def delete_webhook(request: web.Request) -> web.Response:
    """Delete the webhook."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    _owned(sim, client, request.match_info["webhook_id"])
    del sim.state.webhooks[client.client_id]
    sim.mark_dirty()
    return web.Response(status=204)


async def activate(request: web.Request) -> web.Response:
    """Re-ping and activate (200); 204 when there is no webhook."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is None:
        return web.Response(status=204)
    await _check_url(sim, client, webhook.url)
    webhook.active, webhook.failing_since = True, None
    sim.mark_dirty()
    return web.Response(status=200)


async def deactivate(request: web.Request) -> web.Response:
    """Deactivate (200); 204 when there is no webhook."""
    sim = sim_of(request)
    client = sim.basic_client(request.headers.get("Authorization"))
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is None:
        return web.Response(status=204)
    webhook.active = False
    sim.mark_dirty()
    return web.Response(status=200)


def setup(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_post("/v3/webhooks", create_webhook)
    app.router.add_get("/v3/webhooks", get_webhooks)
    app.router.add_post("/v3/webhooks/activate", activate)
    app.router.add_post("/v3/webhooks/deactivate", deactivate)
    app.router.add_patch("/v3/webhooks/{webhook_id}", patch_webhook)
    app.router.add_delete("/v3/webhooks/{webhook_id}", delete_webhook)
