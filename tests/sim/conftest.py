"""Fixtures: a real simulator on 127.0.0.1, an HTTP session and a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from accesslink_sim.app import SimServer

from .util import Receiver, Sim, fast_config


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: simulator tests need no Home Assistant."""


@pytest.fixture(autouse=True)
def allow_loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets (pytest-socket still restricts connections to 127.0.0.1)."""


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sim(session: aiohttp.ClientSession) -> AsyncIterator[Sim]:
    """Start a simulator with fast retries on a free port."""
    server = SimServer(fast_config())
    await server.start()
    try:
        yield Sim(server, session)
    finally:
        await server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Start a webhook receiver on a free port."""
    rec = Receiver()
    await rec.start()
    try:
        yield rec
    finally:
        await rec.stop()
