"""The aiohttp application, its middlewares, and SimServer for running it in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
import time
from typing import TYPE_CHECKING, Self

from aiohttp import web

from . import control, routes_data, routes_users, routes_webhooks
from .config import SimConfig
from .core import Simulator
from .errors import ApiError, error_response
from .keys import SIM_KEY
from .oauth import setup_oauth

if TYPE_CHECKING:
    from types import TracebackType

_LOGGER = logging.getLogger(__name__)
ACCESS_LOGGER = logging.getLogger("accesslink_sim.access")
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_template(request: web.Request) -> str:
    """Return "METHOD /path/{template}" of the matched route."""
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else "<unmatched>"
    return f"{request.method} {path}"


@web.middleware
async def outer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and log every request; turn unexpected exceptions into a logged 500 (last resort)."""
    sim = request.app[SIM_KEY]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = 499
        raise
    except Exception:
        _LOGGER.exception("Unexpected error serving %s %s", request.method, request.path)
        response = error_response(500, "Internal simulator error", sim.clock.now())
    finally:
        if not request.path.startswith("/_sim/"):
            sim.count_request(route_template(request), request.headers.get("Authorization"))
        if sim.config.access_log:
            ACCESS_LOGGER.info(
                "%s %s %s %.1fms",
                request.method,
                request.path_qs,
                status,
                (time.perf_counter() - started) * 1000,
            )
    return response


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the per-client windows to /v3 requests and add RateLimit headers."""
    if not request.path.startswith("/v3/"):
        return await handler(request)
    sim = request.app[SIM_KEY]
    client_id = sim.client_of_request(request.headers.get("Authorization"))
    users = sim.state.registered_count(client_id) if client_id else 0
    verdict = sim.rates.hit(client_id, users, sim.clock.now())
    if not verdict.allowed:
        response: web.StreamResponse = error_response(429, "Rate limit exceeded", sim.clock.now())
    else:
        response = await handler(request)
    response.headers.update(verdict.headers)
    return response


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply injected response faults (never to the control API)."""
    if request.path.startswith("/_sim/"):
        return await handler(request)
    sim = request.app[SIM_KEY]
    rule = sim.faults.take_response(request.method, request.path)
    if rule is not None:
        _LOGGER.info(
            "Fault %s (%s) on %s %s", rule.kind, rule.rule_id, request.method, request.path
        )
        if rule.kind == "hang":
            await asyncio.sleep(rule.seconds)
        elif rule.kind == "rate_limit":
            return error_response(rule.status, "Rate limit exceeded (injected)", sim.clock.now())
        else:
            return error_response(rule.status, "Injected failure", sim.clock.now())
    return await handler(request)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiError and aiohttp's HTTP errors into Polar-shaped error bodies."""
    sim = request.app[SIM_KEY]
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err.status, err.message, sim.clock.now(), err.error_type)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, exc.reason, sim.clock.now())
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response


def create_app(config: SimConfig | None = None, sim: Simulator | None = None) -> web.Application:
    """Build the simulator application (routes, middlewares, cleanup)."""
    config = config or SimConfig()
    sim = sim or Simulator(config)
    app = web.Application(
        middlewares=[outer_middleware, rate_limit_middleware, fault_middleware, error_middleware],
        client_max_size=1 << 20,
    )
    app[SIM_KEY] = sim
    setup_oauth(app, sim)
    routes_users.setup(app)
    routes_webhooks.setup(app)
    routes_data.setup(app)
    control.setup(app)

    async def cleanup(_app: web.Application) -> None:
        """Stop deliveries and save the state."""
        await sim.close()

    app.on_cleanup.append(cleanup)
    return app


class SimServer:
    """Runs the simulator on a TCP port inside the current event loop."""

    def __init__(self, config: SimConfig | None = None) -> None:
        """Prepare (but do not start) a server."""
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self.sim = self.app[SIM_KEY]
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Bind and serve; return the base URL."""
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        host = self.config.host
        if host in {"0.0.0.0", "", "::"}:  # noqa: S104
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        self.url = f"http://{host}:{port}"
        self.sim.base_url = self.config.public_url or self.url
        return self.url

    async def stop(self) -> None:
        """Stop serving, finish or cancel deliveries, save state."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start on entry."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on exit."""
        await self.stop()
