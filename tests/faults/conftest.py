"""Fault-injection fixtures: Home Assistant in-process, the real simulator over real HTTP.

The integration talks to an in-process `SimServer` on 127.0.0.1 (the developer switches
POLAR_FLOW_*_URL point it there), and the simulator pushes to Home Assistant's real HTTP server
(`hass_client_no_auth`'s test server, whose URL is the external URL). Nothing is mocked between
the two: every AccessLink request and every push crosses a loopback socket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component

from accesslink_sim.app import SimServer
from accesslink_sim.config import SimConfig
from custom_components.polar_flow.const import (
    DOMAIN,
    ENV_API_URL,
    ENV_AUTHORIZE_URL,
    ENV_TOKEN_URL,
    EVENT_EXERCISE,
)

CLIENT_ID = "faults-client"
CLIENT_SECRET = "faults-secret"
ALICE = 10000001
BOB = 10000002


def sim_config(**overrides: Any) -> SimConfig:
    """Return a simulator configuration with fast delivery retries and no access log."""
    values: dict[str, Any] = {
        "seed": 11,
        "retry_delays": (0.05, 0.1, 0.2),
        "push_timeout": 5.0,
        "ping_timeout": 5.0,
        "access_log": False,
    }
    values.update(overrides)
    return SimConfig(**values)


@dataclass(frozen=True, slots=True)
class Hit:
    """One AccessLink request the simulator answered."""

    at: float  # time.time() when the answer was prepared: the simulator's (and HA's) clock
    method: str
    path: str
    status: int
    authorization: str
    rate_limit_reset: str


@dataclass
class Polar:
    """The simulator, Home Assistant's URL and what the integration published."""

    hass: HomeAssistant
    server: SimServer
    session: aiohttp.ClientSession
    hass_url: str
    hits: list[Hit] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)
    entries: dict[int, MockConfigEntry] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Return the simulator's base URL."""
        return self.server.url

    async def ctl(self, method: str, path: str, body: Any = None, expect: int = 0) -> Any:
        """Call the simulator's control API and return its JSON."""
        async with self.session.request(method, f"{self.url}/_sim{path}", json=body) as resp:
            if resp.status >= 400 or (expect and resp.status != expect):
                raise AssertionError(f"{method} /_sim{path} -> {resp.status}: {await resp.text()}")
            if resp.status == 204:
                return None
            return await resp.json()

    async def workout(self, user_id: int = ALICE, *, push: bool = True) -> str:
        """Finish a workout at Polar; return the exercise id."""
        done = await self.ctl("POST", f"/users/{user_id}/exercises", {"push": push})
        exercise_id: str = done["exercise"]["id"]
        return exercise_id

    async def webhook(self) -> dict[str, Any]:
        """Return the client's webhook at Polar, with its secret."""
        hook: dict[str, Any] = await self.ctl("GET", f"/clients/{CLIENT_ID}/webhook")
        return hook

    async def settle(self, rounds: int = 3) -> None:
        """Wait until the simulator delivered everything and Home Assistant finished the work."""
        for _ in range(rounds):
            await self.ctl("POST", "/deliveries/wait", {"timeout": 10})
            await self.hass.async_block_till_done(wait_background_tasks=True)

    def api_hits(self, prefix: str = "/v3/exercises", method: str = "GET") -> list[Hit]:
        """Return the AccessLink requests to paths under prefix."""
        return [h for h in self.hits if h.method == method and h.path.startswith(prefix)]

    def duplicates(self) -> dict[str, int]:
        """Return exercise ids published more than once."""
        return {key: n for key, n in Counter(self.published).items() if n > 1}

    def assert_exactly_once(self, expected: set[str]) -> None:
        """Every expected exercise was published exactly once, and nothing else."""
        assert self.duplicates() == {}, f"published more than once: {self.duplicates()}"
        assert set(self.published) == expected, (
            f"lost {expected - set(self.published)}, unexpected {set(self.published) - expected}"
        )

    async def add_account(
        self, user_id: int, *, setup: bool = True, expect: ConfigEntryState | None = None
    ) -> MockConfigEntry:
        """Register user_id with the client at Polar and add a config entry for it."""
        if user_id not in self.tokens:
            await self.ctl("POST", "/users", {"user_id": user_id, "first_name": f"U{user_id}"})
            reg = await self.ctl("POST", f"/users/{user_id}/register", {"client_id": CLIENT_ID})
            self.tokens[user_id] = reg["access_token"]
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"Polar {user_id}",
            unique_id=str(user_id),
            data={
                "auth_implementation": DOMAIN,
                "token": {
                    "access_token": self.tokens[user_id],
                    "token_type": "bearer",
                    "expires_in": 31535999,
                    "expires_at": time.time() + 31535999,
                    "x_user_id": user_id,
                },
            },
        )
        entry.add_to_hass(self.hass)
        self.entries[user_id] = entry
        if setup:
            await self.hass.config_entries.async_setup(entry.entry_id)
            await self.settle()
            assert entry.state is (expect or ConfigEntryState.LOADED)
        return entry


def _test_artifact(record: logging.LogRecord) -> bool:
    """Return whether a record comes from the test set-up, not from what is tested.

    Under freezegun, aiohttp's access logger of the test server fails to format the request
    time (the frozen clock gives it None): "Error in logging" from aiohttp.access.
    """
    return record.name == "aiohttp.access" and record.getMessage() == "Error in logging"


def errors_in_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the log lines above WARNING (what a user would see as errors)."""
    return [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno > logging.WARNING and not _test_artifact(r)
    ]


def warnings_in_log(
    caplog: pytest.LogCaptureFixture, logger: str = "custom_components"
) -> list[str]:
    """Return the integration's WARNING lines."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith(logger)
    ]


@pytest.fixture
def sim_settings() -> dict[str, Any]:
    """Return SimConfig overrides; tests override this fixture."""
    return {}


@pytest.fixture
def hits() -> list[Hit]:
    """Collect the AccessLink requests the simulator answers."""
    return []


def record_hits(server: SimServer, hits: list[Hit]) -> None:
    """Append every non-control request the server answers to hits (before it starts)."""

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith("/_sim/"):
            hits.append(
                Hit(
                    time.time(),
                    request.method,
                    request.path,
                    response.status,
                    request.headers.get("Authorization", ""),
                    response.headers.get("RateLimit-Reset", ""),
                )
            )

    server.app.on_response_prepare.append(record)


@pytest.fixture
async def sim_server(
    socket_enabled: None, sim_settings: dict[str, Any], hits: list[Hit]
) -> AsyncIterator[SimServer]:
    """Run the simulator on a free loopback port."""
    server = SimServer(sim_config(**sim_settings))
    record_hits(server, hits)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def polar(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    sim_server: SimServer,
    hits: list[Hit],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Polar]:
    """Home Assistant with HTTP on a real port, pointed at the simulator; no account yet."""
    monkeypatch.setenv(ENV_AUTHORIZE_URL, f"{sim_server.url}/oauth2/authorization")
    monkeypatch.setenv(ENV_TOKEN_URL, f"{sim_server.url}/v2/oauth2/token")
    monkeypatch.setenv(ENV_API_URL, sim_server.url)
    # Every view must exist before the test server starts: http, webhook, credentials, and the
    # calendar panel's API of the integration's calendars.
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, "calendar", {})
    assert await async_setup_component(hass, "webhook", {})
    assert await async_setup_component(hass, "application_credentials", {})
    client = await hass_client_no_auth()
    hass_url = str(client.make_url("")).rstrip("/")
    await async_process_ha_core_config(hass, {"external_url": hass_url})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), DOMAIN
    )
    async with aiohttp.ClientSession() as session:
        world = Polar(hass, sim_server, session, hass_url, hits)
        await world.ctl(
            "POST",
            "/clients",
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{hass_url}/auth/external/callback"],
            },
        )

        @callback
        def _published(event: Event) -> None:
            world.published.append(str(event.data["exercise_id"]))

        unsub = hass.bus.async_listen(EVENT_EXERCISE, _published)
        try:
            yield world
        finally:
            unsub()
            for entry in world.entries.values():
                if entry.state is ConfigEntryState.LOADED:
                    await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def alice(polar: Polar) -> MockConfigEntry:
    """Alice's account set up and pushing."""
    return await polar.add_account(ALICE)
