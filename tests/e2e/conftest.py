"""End-to-end fixtures: a real `hass` process and the AccessLink simulator, on free loopback ports.

One stack per test module: the simulator (`python -m accesslink_sim --port 0`) with a client and
two Polar users, and Home Assistant (`hass -c <tmp> --skip-pip`) onboarded through its REST API,
with a long-lived token and the simulator's client as application credentials. Both processes
run in their own process groups and are stopped (SIGTERM, then SIGKILL) when the module ends;
their logs are attached to the report of a failing test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_socket

from scripts.harness import (
    DOMAIN,
    HarnessError,
    HomeAssistantApi,
    ManagedProcess,
    SimControl,
    e2e_configuration,
    ensure_application_credentials,
    free_port,
    integration_env,
    link_integration,
    onboard_owner,
    sign_in,
    start_hass,
    start_simulator,
    tail,
    wait_http,
    wait_running,
    write_http_config,
    write_partial_onboarding,
)

CLIENT_ID = "e2e-client"
CLIENT_SECRET = "e2e-secret"
ALICE = 10000001
BOB = 10000002
HASS_START_TIMEOUT = 90.0
SIM_ARGS = ["--seed", "5", "--retry-delays", "0.5,1,2,3", "--push-timeout", "5"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the e2e marker."""
    config.addinivalue_line(
        "markers", "e2e: end-to-end test against a real hass process and the simulator"
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: Home Assistant runs in its own process here."""


@pytest.fixture(autouse=True)
def allow_loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets (pytest-socket still restricts connections to 127.0.0.1)."""


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop (module fixtures are synchronous)."""
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(coro)


@dataclass
class Stack:
    """One simulator and one Home Assistant, and what the tests learn about them."""

    root: Path
    port: int
    sim_url: str
    sim: ManagedProcess
    hass: ManagedProcess | None = None
    token: str = ""
    entries: dict[int, str] = field(default_factory=dict)  # Polar user id -> config entry id

    @property
    def config_dir(self) -> Path:
        """Return Home Assistant's configuration directory."""
        return self.root / "config"

    @property
    def hass_url(self) -> str:
        """Return Home Assistant's URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def hass_log(self) -> Path:
        """Return the log file of the hass process (all its starts)."""
        return self.root / "hass.log"

    def start_hass(self) -> ManagedProcess:
        """Start hass (it is not ready yet: see ready())."""
        write_http_config(self.config_dir, self.port)
        self.hass = start_hass(self.config_dir, self.hass_log, env=integration_env(self.sim_url))
        return self.hass

    def stop_hass(self) -> int | None:
        """Stop hass with SIGTERM and wait; return its exit status."""
        if self.hass is None:
            return None
        status = self.hass.stop(timeout=60)
        self.hass = None
        return status

    async def ready(self, session: aiohttp.ClientSession) -> HomeAssistantApi:
        """Wait until the started hass is RUNNING; return its API."""
        if self.hass is None:
            raise HarnessError("hass is not started")
        await wait_http(session, f"{self.hass_url}/manifest.json", self.hass,
                        HASS_START_TIMEOUT)  # fmt: skip
        api = HomeAssistantApi(session, self.hass_url, self.token)
        await wait_running(api, self.hass, HASS_START_TIMEOUT)
        return api

    def logs(self) -> list[tuple[str, str]]:
        """Return the tails of both logs for a failure report."""
        return [
            ("hass log (tail)", tail(self.hass_log, 150)),
            ("simulator log (tail)", tail(self.sim.log_path, 60)),
        ]


async def _prepare(stack: Stack) -> None:
    """Create the simulator's client and users; onboard Home Assistant; store credentials."""
    async with aiohttp.ClientSession() as session:
        sim = SimControl(session, stack.sim_url)
        callback = f"{stack.hass_url}/auth/external/callback"
        await sim.ensure_client(CLIENT_ID, CLIENT_SECRET, [callback], "Home Assistant e2e")
        await sim.ensure_user(ALICE, "Alice", "Runner")
        await sim.ensure_user(BOB, "Bob", "Cyclist")
        assert stack.hass is not None
        await wait_http(session, f"{stack.hass_url}/api/onboarding", stack.hass,
                        HASS_START_TIMEOUT)  # fmt: skip
        tokens = await onboard_owner(session, stack.hass_url, "Dev", "dev", "dev")
        stack.token = tokens.access_token
        api = await stack.ready(session)
        async with await api.websocket() as ws:
            stack.token = await ws.command(
                "auth/long_lived_access_token", client_name="e2e", lifespan=1
            )
            await ensure_application_credentials(ws, CLIENT_ID, CLIENT_SECRET, "Polar e2e")


@pytest.fixture(scope="module")
def configure_hass() -> Callable[[Path], None]:
    """Return what a test module adds to the config directory before hass starts: nothing."""
    return lambda config_dir: None


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, configure_hass: Callable[[Path], None]
) -> Iterator[Stack]:
    """Run the simulator and an onboarded Home Assistant for one test module."""
    pytest_socket.enable_socket()  # module fixtures run before the per-test socket fixture
    root = tmp_path_factory.mktemp("e2e")
    sim, sim_url = start_simulator(root / "sim.log", extra_args=SIM_ARGS)
    current = Stack(root=root, port=free_port(), sim_url=sim_url, sim=sim)
    try:
        config = current.config_dir
        config.mkdir()
        (config / "configuration.yaml").write_text(e2e_configuration(current.port))
        link_integration(config)
        write_partial_onboarding(config)
        configure_hass(config)
        current.start_hass()
        try:
            run(_prepare(current))
        except BaseException as err:
            for title, text in current.logs():
                err.add_note(f"--- {title}\n{text}")
            raise
        yield current
    finally:
        current.stop_hass()
        sim.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session for one test."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def api(stack: Stack, session: aiohttp.ClientSession) -> HomeAssistantApi:
    """Return Home Assistant's REST API (waiting until it runs)."""
    return await stack.ready(session)


@pytest.fixture
def sim(stack: Stack, session: aiohttp.ClientSession) -> SimControl:
    """Return the simulator's control API."""
    return SimControl(session, stack.sim_url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the hass and simulator logs to a failing e2e test's report."""
    report = yield
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    current = funcargs.get("stack")
    if report.failed and isinstance(current, Stack):
        with contextlib.suppress(Exception):
            report.sections.extend(current.logs())
    return report


@dataclass(frozen=True, slots=True)
class Account:
    """One signed-in Polar account as Home Assistant shows it."""

    user_id: int
    entry_id: str
    device_id: str
    entities: dict[str, str]  # entity description key -> entity id
    # The same by platform: a kind's event entity may share its key with a sensor.
    sensors: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)  # kind -> event entity id


async def signed_in(stack: Stack, api: HomeAssistantApi, user_id: int) -> Account:
    """Sign user_id in unless an earlier test did; return the account."""
    if user_id not in stack.entries:
        done = await sign_in(api, polar_user=user_id)
        if done.result.get("type") != "create_entry":
            raise HarnessError(f"signing in {user_id} did not create an entry: {done.result}")
        stack.entries[user_id] = done.result["result"]["entry_id"]
    return await account(api, user_id)


async def account(api: HomeAssistantApi, user_id: int) -> Account:
    """Find the device and entities of a Polar user in Home Assistant's registries."""
    async with await api.websocket() as ws:
        devices = await ws.command("config/device_registry/list")
        entities = await ws.command("config/entity_registry/list")
    device = next((d for d in devices if [DOMAIN, str(user_id)] in d["identifiers"]), None)
    if device is None:
        raise HarnessError(f"no polar_flow device for user {user_id}")
    prefix = f"{user_id}_"
    ours = [e for e in entities if e["platform"] == DOMAIN and e["unique_id"].startswith(prefix)]
    return Account(
        user_id=user_id,
        entry_id=device["primary_config_entry"] or device["config_entries"][0],
        device_id=device["id"],
        entities={e["unique_id"].removeprefix(prefix): e["entity_id"] for e in ours},
        sensors={
            e["unique_id"].removeprefix(prefix): e["entity_id"]
            for e in ours
            if e["entity_id"].startswith("sensor.")
        },
        events={
            e["unique_id"].removeprefix(prefix): e["entity_id"]
            for e in ours
            if e["entity_id"].startswith("event.")
        },
    )
