"""POST/GET/DELETE /v3/users: registering users to the partner client."""

from __future__ import annotations

from aiohttp import web

from .errors import ApiError
from .keys import json_body, path_int, sim_of


async def register_user(request: web.Request) -> web.Response:
    """Register the token's user with a partner member-id."""
    sim = sim_of(request)
    token = sim.bearer(request.headers.get("Authorization"))
    body = await json_body(request)
    member_id = body.get("member-id")
    if not isinstance(member_id, str) or not member_id.strip() or len(member_id) > 256:
        raise ApiError(400, "member-id is required and must be a non-empty string")
    reg = sim.register(token, member_id)
    return web.json_response(sim.user_json(sim.user(token.user_id), reg))


def _own(request: web.Request) -> tuple[int, str]:
    """Check the path user is the token's user; return (user id, client id)."""
    sim = sim_of(request)
    token = sim.bearer(request.headers.get("Authorization"))
    user_id = path_int(request, "user_id")
    if user_id != token.user_id:
        raise ApiError(403, "The access token does not belong to this user")
    return user_id, token.client_id


async def get_user(request: web.Request) -> web.Response:
    """Return the registered user's information (204 when not registered)."""
    sim = sim_of(request)
    user_id, client_id = _own(request)
    reg = sim.state.registration(client_id, user_id)
    if reg is None:
        return web.Response(status=204)
    user = sim.user(user_id)
    if not user.consents:
        raise ApiError(403, "User has not accepted all mandatory consents")
    return web.json_response(sim.user_json(user, reg))


async def delete_user(request: web.Request) -> web.Response:
    """De-register the user and revoke its tokens."""
    sim = sim_of(request)
    user_id, client_id = _own(request)
    sim.deregister(client_id, user_id)
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_post("/v3/users", register_user)
    app.router.add_get("/v3/users/{user_id:\\d+}", get_user)
    app.router.add_delete("/v3/users/{user_id:\\d+}", delete_user)
