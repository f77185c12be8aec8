"""Fixtures: a real local HTTP server standing in for AccessLink, and a client for it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.polar_flow.accesslink import AccessLinkClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

CLIENT_ID = "client-id-1"
CLIENT_SECRET = "client-secret-1"
TOKEN = "user-token-abc"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: this package needs no Home Assistant."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the request body parsed as JSON."""
        return json.loads(self.body)


@dataclass(slots=True)
class Reply:
    """What the server answers to one method and path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class FakeAccessLink:
    """An aiohttp server on 127.0.0.1 that records requests and serves programmed replies."""

    def __init__(self) -> None:
        """Start empty: every unprogrammed route answers 500."""
        self.requests: list[Recorded] = []
        self._replies: dict[tuple[str, str], Reply] = {}
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def reply(
        self,
        method: str,
        path: str,
        status: int = 200,
        *,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Program the answer to method and path; drop closes the connection unanswered."""
        raw = body.encode() if isinstance(body, str) else body
        if raw is None:
            raw = b"" if json_body is None else json.dumps(json_body).encode()
        reply_headers = dict(headers or {})
        if json_body is not None:
            reply_headers.setdefault("Content-Type", "application/json")
        self._replies[method, path] = Reply(status, raw, reply_headers, delay, drop)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Release delayed handlers and shut down."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        """Record the request and answer as programmed."""
        self.requests.append(
            Recorded(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=await request.read(),
            )
        )
        reply = self._replies.get((request.method, request.path))
        if reply is None:
            return web.Response(status=500, text=f"unprogrammed {request.method} {request.path}")
        if reply.drop and request.transport is not None:
            request.transport.close()
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), reply.delay)
        return web.Response(status=reply.status, body=reply.body or None, headers=reply.headers)

    @property
    def last(self) -> Recorded:
        """Return the only request received."""
        assert len(self.requests) == 1, self.requests
        return self.requests[0]


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[FakeAccessLink]:
    """Run the stand-in AccessLink server (loopback only: connections elsewhere stay blocked)."""
    fake = FakeAccessLink()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def other_server(socket_enabled: None) -> AsyncIterator[FakeAccessLink]:
    """Run a second server on another port: a place a token must never reach."""
    fake = FakeAccessLink()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Open an HTTP session for the client."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(server: FakeAccessLink, session: aiohttp.ClientSession) -> AccessLinkClient:
    """Return a client with credentials that talks to the stand-in server."""
    return AccessLinkClient(
        session,
        api_url=server.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        request_timeout=5,
    )
