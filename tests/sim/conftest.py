"""Fixtures: a real simulator on 127.0.0.1, an HTTP session and a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .util import Receiver, Sim, running_sim


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
    async with running_sim(session) as sim:
        yield sim


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Start a webhook receiver on a free port."""
    rec = Receiver()
    await rec.start()
    try:
        yield rec
    finally:
        await rec.stop()
