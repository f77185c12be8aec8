"""Application keys shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDict

from .core import Simulator
from .errors import ApiError

SIM_KEY = web.AppKey("sim", Simulator)
MAX_JSON = 1 << 20


def sim_of(request: web.Request) -> Simulator:
    """Return the simulator serving a request."""
    return request.app[SIM_KEY]


async def json_body(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    """Read a JSON object body; 400 for anything else."""
    raw = await request.read()
    if len(raw) > MAX_JSON:
        raise ApiError(413, "Request body too large")
    if not raw.strip():
        if required:
            raise ApiError(400, "A JSON body is required")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "Request body is not valid JSON") from err
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return data


async def form_body(request: web.Request) -> MultiDict[str]:
    """Read a form body (text fields only); 400 when it cannot be parsed."""
    try:
        form = await request.post()
    except (ValueError, LookupError, HttpProcessingError) as err:
        raise ApiError(400, "Malformed form body") from err
    return MultiDict((k, v) for k, v in form.items() if isinstance(v, str))


def path_int(request: web.Request, name: str) -> int:
    """Return an integer path parameter; 400 when it is not one."""
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, f"{name} must be an integer")
    return int(raw)


def flag(request: web.Request, name: str) -> bool:
    """Return a boolean query flag (true/1/yes)."""
    value = request.query.get(name, "")
    if value.lower() in {"", "false", "0", "no"}:
        return False
    if value.lower() in {"true", "1", "yes"}:
        return True
    raise ApiError(400, f"{name} must be true or false")
