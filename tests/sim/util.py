"""Helpers for the simulator tests: a webhook receiver and a thin client for the simulator."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from accesslink_sim.app import SimServer
from accesslink_sim.config import SimConfig

REDIRECT = "http://127.0.0.1:5555/auth/external/callback"


def fast_config(**overrides: Any) -> SimConfig:
    """Return a configuration with short retries and timeouts for tests."""
    values: dict[str, Any] = {
        "seed": 7,
        "retry_delays": (0.05, 0.1),
        "push_timeout": 1.0,
        "ping_timeout": 1.0,
        "access_log": False,
    }
    values.update(overrides)
    return SimConfig(**values)


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        """Return the decoded body."""
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A real aiohttp webhook receiver answering with scripted statuses."""

    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    url: str = ""
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request and answer."""
        self.received.append(Received(dict(request.headers), await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.script.pop(0) if self.script else self.default_status
        return web.Response(status=status, text="ok")

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        app.router.add_post("/other", self.handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        """Stop listening."""
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def notices(self) -> list[Received]:
        """Return everything except PINGs."""
        return [r for r in self.received if r.json.get("event") != "PING"]

    async def wait_notices(self, count: int, seconds: float = 5.0) -> list[Received]:
        """Wait until at least count notices arrived."""
        async with asyncio.timeout(seconds):
            while len(self.notices) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        return self.notices


def basic(user: str, password: str) -> dict[str, str]:
    """Return an HTTP Basic Authorization header."""
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def signature_ok(secret: str, received: Received) -> bool:
    """Verify Polar-Webhook-Signature independently of the simulator's code."""
    expected = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers.get("Polar-Webhook-Signature", ""))


@dataclass
class World:
    """A client with one registered user, a token and a webhook."""

    client_id: str
    client_secret: str
    user_id: int
    token: str
    webhook_id: str | None = None
    secret: str | None = None

    @property
    def basic(self) -> dict[str, str]:
        """Return the client's Basic Authorization header."""
        return basic(self.client_id, self.client_secret)

    @property
    def bearer(self) -> dict[str, str]:
        """Return the user's Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


class Sim:
    """A running simulator plus an HTTP session to talk to it."""

    def __init__(self, server: SimServer, session: aiohttp.ClientSession) -> None:
        """Wrap a started server."""
        self.server = server
        self.session = session
        self.url = server.url

    async def ctl(self, method: str, path: str, body: Any = None, status: int | None = None) -> Any:
        """Call the control API and return its JSON (None when empty)."""
        async with self.session.request(method, self.url + path, json=body) as resp:
            raw = await resp.read()
            if status is not None:
                assert resp.status == status, (resp.status, raw)
            else:
                assert resp.status < 400, (resp.status, raw)
            return json.loads(raw) if raw else None

    async def authorize(self, client_id: str, **params: str) -> dict[str, list[str]]:
        """Run the authorize endpoint (auto-approve) and return the redirect's query."""
        query = {"response_type": "code", "client_id": client_id, **params}
        async with self.session.get(
            self.url + "/oauth2/authorization", params=query, allow_redirects=False
        ) as resp:
            assert resp.status == 302, await resp.text()
            return parse_qs(urlsplit(resp.headers["Location"]).query)

    async def token(
        self, client_id: str, secret: str, code: str, redirect_uri: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Exchange a code at the token endpoint with HTTP Basic."""
        form = {"grant_type": "authorization_code", "code": code}
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        async with self.session.post(
            self.url + "/v2/oauth2/token", data=form, headers=basic(client_id, secret)
        ) as resp:
            return resp.status, await resp.json()

    async def world(
        self, receiver: Receiver | None = None, events: list[str] | None = None
    ) -> World:
        """Create a client and user, sign in through OAuth2, register and add a webhook."""
        client = await self.ctl(
            "POST", "/_sim/clients", {"redirect_uris": [REDIRECT], "auto_approve": True}
        )
        user = await self.ctl("POST", "/_sim/users", {})
        query = await self.authorize(client["client_id"], user=str(user["user_id"]))
        status, token = await self.token(
            client["client_id"], client["client_secret"], query["code"][0]
        )
        assert status == 200, token
        world = World(
            client["client_id"], client["client_secret"], user["user_id"], token["access_token"]
        )
        async with self.session.post(
            self.url + "/v3/users",
            json={"member-id": f"m-{world.user_id}"},
            headers=world.bearer,
        ) as resp:
            assert resp.status == 200, await resp.text()
        if receiver is not None:
            async with self.session.post(
                self.url + "/v3/webhooks",
                json={
                    "events": events or ["EXERCISE", "SLEEP", "ACTIVITY_SUMMARY"],
                    "url": receiver.url,
                },
                headers=world.basic,
            ) as resp:
                assert resp.status == 201, await resp.text()
                data = (await resp.json())["data"]
                world.webhook_id, world.secret = data["id"], data["signature_secret_key"]
        return world

    async def wait_idle(self) -> None:
        """Wait until the simulator has no pending delivery."""
        result = await self.ctl("POST", "/_sim/deliveries/wait", {"timeout": 10})
        assert result["idle"], result


@asynccontextmanager
async def running_sim(session: aiohttp.ClientSession) -> AsyncIterator[Sim]:
    """Run a simulator with fast retries on a free port."""
    async with SimServer(fast_config()) as server:
        yield Sim(server, session)
