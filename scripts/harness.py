"""A real Home Assistant and the AccessLink simulator as subprocesses, and clients to drive them.

Shared by the end-to-end tests (`tests/e2e`), `scripts/develop`, `scripts/bench` and
`scripts/screenshot`, which import it as `scripts.harness` (pytest and the wrappers put the
repository on the import path). Plain Python and aiohttp: no pytest and no Home Assistant
import, so it sees Home Assistant only from outside, over HTTP and its websocket API, as the
frontend does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import IO, Any, Self
from urllib.parse import urljoin

import aiohttp

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / "polar_flow"
DOMAIN = "polar_flow"
EVENT_EXERCISE = "polar_flow_exercise"
EVENT_SLEEP = "polar_flow_sleep"
EVENT_NIGHTLY_RECHARGE = "polar_flow_nightly_recharge"
SIM_LISTENING = re.compile(r"accesslink-sim listening on (http://\S+)")
ONBOARDING_STEPS_SKIPPED = ("core_config", "analytics", "integration")


class HarnessError(RuntimeError):
    """Something the harness waited for did not happen; the message says what."""


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Return whether something listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def hass_executable() -> Path:
    """Return the `hass` of the interpreter running this code (the project's .venv)."""
    return Path(sys.executable).parent / "hass"


def tail(path: Path, lines: int = 80) -> str:
    """Return the last lines of a log file (or a note that it is missing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        return f"<no log at {path}: {err}>"
    return "\n".join(text.splitlines()[-lines:])


# ---- processes ----------------------------------------------------------------------------------


@dataclass
class ManagedProcess:
    """A child in its own process group, its output in a log file (and optionally echoed)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_offset: int = 0  # where this run's output starts in log_path (logs are appended to)
    _pump: threading.Thread | None = None

    @classmethod
    def start(
        cls,
        name: str,
        argv: list[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO,
        echo: Callable[[str], None] | None = None,
    ) -> Self:
        """Start argv in a new session; output goes to log_path and, if given, to echo."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        log: IO[bytes] = log_path.open("ab")
        offset = log.seek(0, os.SEEK_END)
        try:
            popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if echo else log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal reaches only the parent
            )
        except BaseException:
            log.close()
            raise
        proc = cls(name, popen, log_path, offset)
        if echo is not None and popen.stdout is not None:
            proc._pump = threading.Thread(
                target=_pump_lines, args=(popen.stdout, log, echo), name=f"{name}-log", daemon=True
            )
            proc._pump.start()
        else:
            log.close()
        return proc

    @property
    def pid(self) -> int:
        """Return the process id (also the process group id)."""
        return self.popen.pid

    def running(self) -> bool:
        """Return whether the process is still alive."""
        return self.popen.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the process group, wait, SIGKILL what is left; return the exit status."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(10)
        # Anything the child left behind in its group goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(5)
        return self.popen.returncode

    def check_alive(self) -> None:
        """Raise with the log's tail when the process has exited."""
        if self.popen.poll() is not None:
            raise HarnessError(
                f"{self.name} exited with status {self.popen.returncode}; "
                f"last lines of {self.log_path}:\n{tail(self.log_path)}"
            )

    def wait_for_log(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """Wait until a line of the log matches pattern."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), self.log_path.open("rb") as log:
                log.seek(self.log_offset)
                if match := pattern.search(log.read().decode("utf-8", errors="replace")):
                    return match
            self.check_alive()
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"{self.name}: no line matching {pattern.pattern!r} within {timeout} s; "
                    f"last lines of {self.log_path}:\n{tail(self.log_path)}"
                )
            time.sleep(0.05)


def _pump_lines(stream: IO[bytes], log: IO[bytes], echo: Callable[[str], None]) -> None:
    """Copy a child's output to its log file and to echo, line by line."""
    with log, stream:
        for raw in iter(stream.readline, b""):
            log.write(raw)
            log.flush()
            echo(raw.decode("utf-8", errors="replace").rstrip("\n"))


def start_simulator(
    log_path: Path,
    *,
    port: int = 0,
    extra_args: list[str] | None = None,
    echo: Callable[[str], None] | None = None,
    timeout: float = 30.0,
) -> tuple[ManagedProcess, str]:
    """Start `python -m accesslink_sim` and return it with its URL (its first stdout line)."""
    argv = [sys.executable, "-m", "accesslink_sim", "serve", "--port", str(port)]
    proc = ManagedProcess.start("accesslink-sim", [*argv, *(extra_args or [])], log_path=log_path,
                                echo=echo)  # fmt: skip
    try:
        url = proc.wait_for_log(SIM_LISTENING, timeout).group(1)
    except BaseException:
        proc.stop()
        raise
    return proc, url


# ---- Home Assistant configuration --------------------------------------------------------------


def integration_env(sim_url: str) -> dict[str, str]:
    """Return the developer switches that point the integration at the simulator."""
    return {
        "POLAR_FLOW_AUTHORIZE_URL": f"{sim_url}/oauth2/authorization",
        "POLAR_FLOW_TOKEN_URL": f"{sim_url}/v2/oauth2/token",
        "POLAR_FLOW_API_URL": sim_url,
    }


def link_integration(config_dir: Path) -> None:
    """Make <config>/custom_components/polar_flow point at the repository's integration."""
    target = config_dir / "custom_components" / DOMAIN
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        return
    target.symlink_to(os.path.relpath(INTEGRATION, target.parent), target_is_directory=True)


def write_partial_onboarding(config_dir: Path) -> bool:
    """Mark every onboarding step but `user` done, unless onboarding was stored already.

    The `user` step is then done through the REST API (it creates the owner, their person and
    returns an auth code). Skipping `core_config` avoids the integrations it starts (met,
    radio_browser, ...), which would try to reach the internet.
    """
    path = config_dir / ".storage" / "onboarding"
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": list(ONBOARDING_STEPS_SKIPPED)},
    }
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
    return True


def write_http_config(config_dir: Path, port: int) -> None:
    """Make Home Assistant listen on 127.0.0.1:port, confirmed (no trial, no auto-revert).

    Since 2026.x Home Assistant keeps its HTTP settings in `.storage/http`: YAML is migrated
    once as an unconfirmed *pending* trial that reverts (and restarts) after five minutes unless
    the user confirms it in the UI. Writing the confirmed (`stable`) settings before each start
    avoids that dialog and lets the port change between runs. Other stored settings are kept.
    """
    path = config_dir / ".storage" / "http"
    stable: dict[str, Any] = {
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "error": None,
        "error_message": None,
    }
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        stable.update(json.loads(path.read_text(encoding="utf-8"))["data"]["stable"])
    stable.update(server_port=port, server_host=["127.0.0.1"], created_at=_now_iso())
    stored = {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")


def _now_iso() -> str:
    """Return the current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat()


def e2e_configuration(port: int, name: str = "Polar Flow e2e", time_zone: str = "UTC") -> str:
    """Return a configuration.yaml for a throw-away instance on 127.0.0.1:port."""
    url = f"http://127.0.0.1:{port}"
    return f"""\
homeassistant:
  name: {name}
  unit_system: metric
  time_zone: {time_zone}
  country: FI
  currency: EUR
  language: en
  latitude: 60.17
  longitude: 24.94
  elevation: 10
  external_url: {url}
  internal_url: {url}
# No `http:` here: write_http_config() stores 127.0.0.1:{port} in .storage/http.
recorder:
  commit_interval: 0
history:
logbook:
webhook:
# `my` stays out on purpose: with it, OAuth2 redirects through my.home-assistant.io instead of
# <base>/auth/external/callback.
logger:
  default: warning
  logs:
    custom_components.polar_flow: debug
    homeassistant.components.webhook: debug
  filters:
    haffmpeg.core: ["FFmpeg fails"]
    haffmpeg.tools: ["Error starting FFmpeg"]
    homeassistant.components.camera.img_util: ["Error loading libturbojpeg"]
"""


def start_hass(
    config_dir: Path,
    log_path: Path,
    *,
    env: Mapping[str, str],
    echo: Callable[[str], None] | None = None,
) -> ManagedProcess:
    """Start `hass -c config_dir` (no pip installs at run time: the .venv stays as it is)."""
    argv = [str(hass_executable()), "-c", str(config_dir), "--skip-pip"]
    return ManagedProcess.start("hass", argv, log_path=log_path, env=env, echo=echo)


# ---- HTTP clients ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tokens:
    """What Home Assistant's /auth/token answers."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    client_id: str

    def frontend_storage(self, hass_url: str) -> dict[str, Any]:
        """Return the `hassTokens` localStorage value the frontend keeps."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "hassUrl": hass_url,
            "clientId": self.client_id,
            "expires": int(time.time() * 1000) + self.expires_in * 1000,
            "refresh_token": self.refresh_token,
        }


class RequestFailedError(HarnessError):
    """An HTTP answer with an unexpected status."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        """Keep the status for callers that expect failures."""
        super().__init__(f"{method} {url} -> HTTP {status}: {body[:500]}")
        self.status = status


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    expect: tuple[int, ...] = (200,),
    **kwargs: Any,
) -> Any:
    """Send a request and return the JSON (or text) answer; raise on an unexpected status."""
    async with session.request(
        method, url, timeout=aiohttp.ClientTimeout(total=30), **kwargs
    ) as resp:
        text = await resp.text()
        if resp.status not in expect:
            raise RequestFailedError(method, url, resp.status, text)
        if "json" in resp.headers.get("Content-Type", ""):
            return json.loads(text) if text else None
        return text


class HomeAssistantApi:
    """Home Assistant's REST API with a bearer token, as the frontend uses it."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        """Bind a session, the base URL and a token."""
        self.session = session
        self.base_url = base_url
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers of an authenticated frontend request."""
        # HA-Frontend-Base tells OAuth2 flows where the browser reaches Home Assistant.
        return {"Authorization": f"Bearer {self.token}", "HA-Frontend-Base": self.base_url}

    async def get(self, path: str, *, expect: tuple[int, ...] = (200,), **kw: Any) -> Any:
        """GET path."""
        return await _request(self.session, "GET", self.base_url + path, expect=expect,
                              headers=self.headers, **kw)  # fmt: skip

    async def post(
        self, path: str, body: Any = None, *, expect: tuple[int, ...] = (200,), **kw: Any
    ) -> Any:
        """POST JSON to path."""
        return await _request(self.session, "POST", self.base_url + path, expect=expect,
                              headers=self.headers, json=body, **kw)  # fmt: skip

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return one entity's state."""
        state: dict[str, Any] = await self.get(f"/api/states/{entity_id}")
        return state

    async def websocket(self) -> HassWebSocket:
        """Open an authenticated websocket connection."""
        return await HassWebSocket.connect(self.session, self.base_url, self.token)


class HassWebSocket:
    """A minimal client of Home Assistant's websocket API: commands and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated connection and start reading it."""
        self._ws = ws
        self._next_id = 0
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, base_url: str, token: str) -> Self:
        """Connect to /api/websocket and authenticate."""
        ws = await session.ws_connect(f"{base_url}/api/websocket",
                                      max_msg_size=0)  # fmt: skip
        try:
            hello = await ws.receive_json(timeout=10)
            await ws.send_json({"type": "auth", "access_token": token})
            answer = await ws.receive_json(timeout=10)
        except BaseException:
            await ws.close()
            raise
        if hello.get("type") != "auth_required" or answer.get("type") != "auth_ok":
            await ws.close()
            raise HarnessError(f"websocket authentication failed: {hello} then {answer}")
        return cls(ws)

    async def _read(self) -> None:
        """Dispatch results and events until the connection closes."""
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                ident = item.get("id")
                if item.get("type") == "event" and ident in self._events:
                    self._events[ident].put_nowait(item["event"])
                elif (future := self._results.pop(ident, None)) and not future.done():
                    future.set_result(item)
        for future in self._results.values():
            if not future.done():
                future.set_exception(HarnessError("websocket closed"))

    async def command(self, command: str, *, within: float = 30, **payload: Any) -> Any:
        """Send a command and return its result; raise when Home Assistant says it failed."""
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[ident] = future
        await self._ws.send_json({"id": ident, "type": command, **payload})
        answer = await asyncio.wait_for(future, within)
        if not answer.get("success"):
            raise HarnessError(f"websocket command {command} failed: {answer.get('error')}")
        return answer.get("result")

    async def subscribe_events(self, event_type: str) -> asyncio.Queue[dict[str, Any]]:
        """Subscribe to a bus event type; return the queue its events arrive in."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[self._next_id + 1] = queue
        await self.command("subscribe_events", event_type=event_type)
        return queue

    async def close(self) -> None:
        """Close the connection and stop reading."""
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def __aenter__(self) -> Self:
        """Use as an async context manager."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close on exit."""
        await self.close()


async def published_minutes(api: HomeAssistantApi, since: datetime) -> list[int]:
    """Return the durations (minutes) of the exercises the event entities fired since `since`.

    One per logbook line of an event entity: each state it took (a restart restores the last
    one, which is not a new line).
    """
    states = await api.get("/api/states")
    # Exercise event entities only: other kinds' fire too (cardio load after a workout).
    entities = ",".join(
        s["entity_id"]
        for s in states
        if s["entity_id"].startswith("event.") and s["entity_id"].endswith("_exercise")
    )
    if not entities:
        return []
    history = await api.get(
        f"/api/history/period/{since.isoformat()}",
        params={"filter_entity_id": entities},
    )
    fired = {
        (state["entity_id"], state["state"]): round(state["attributes"]["duration"] / 60)
        for entity in history
        for state in entity
        if state["state"] not in ("unknown", "unavailable")
        and datetime.fromisoformat(state["state"]) >= since
    }
    return sorted(fired.values())


async def event_firings(
    api: HomeAssistantApi, entity_id: str, since: datetime
) -> list[dict[str, Any]]:
    """Return the states an event entity fired with since `since`, oldest first, each once.

    Each firing is a state whose value is its time; a restart restores the last one (the same
    value again), which is not a new firing.
    """
    history = await api.get(
        f"/api/history/period/{since.isoformat()}", params={"filter_entity_id": entity_id}
    )
    fired: dict[str, dict[str, Any]] = {}
    for state in (state for entity in history for state in entity):
        if state["state"] in ("unknown", "unavailable"):
            continue
        if datetime.fromisoformat(state["state"]) >= since:
            fired.setdefault(state["state"], state)
    return [fired[when] for when in sorted(fired)]


async def next_event(
    queue: asyncio.Queue[dict[str, Any]], within: float, what: str
) -> dict[str, Any]:
    """Return the next event of a subscription, or fail saying what was awaited."""
    try:
        return await asyncio.wait_for(queue.get(), within)
    except TimeoutError:
        raise HarnessError(f"no {what} within {within} s") from None


class SimControl:
    """The simulator's JSON control API (`/_sim/...`)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Bind a session and the simulator's URL."""
        self.session = session
        self.url = url

    async def call(
        self, method: str, path: str, body: Any = None, *, expect: tuple[int, ...] = (200, 201)
    ) -> Any:
        """Call the control API."""
        return await _request(self.session, method, f"{self.url}/_sim{path}", expect=expect,
                              json=body)  # fmt: skip

    async def ensure_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str
    ) -> dict[str, Any]:
        """Create the client, or make its redirect URLs include redirect_uris."""
        try:
            client: dict[str, Any] = await self.call("GET", f"/clients/{client_id}")
        except RequestFailedError as err:
            if err.status != 404:
                raise
            created: dict[str, Any] = await self.call("POST", "/clients", {
                "client_id": client_id, "client_secret": client_secret,
                "redirect_uris": redirect_uris, "name": name,
            })  # fmt: skip
            return created
        missing = [uri for uri in redirect_uris if uri not in client["redirect_uris"]]
        if missing:
            body = {"redirect_uris": [*client["redirect_uris"], *missing]}
            client = await self.call("PATCH", f"/clients/{client_id}", body)
        return client

    async def ensure_user(self, user_id: int, first_name: str, last_name: str) -> dict[str, Any]:
        """Create a Polar user unless it exists."""
        try:
            user: dict[str, Any] = await self.call("GET", f"/users/{user_id}")
        except RequestFailedError as err:
            if err.status != 404:
                raise
            user = await self.call("POST", "/users", {
                "user_id": user_id, "first_name": first_name, "last_name": last_name,
            })  # fmt: skip
        return user

    async def workout(self, user_id: int, **body: Any) -> dict[str, Any]:
        """Finish a workout: `{exercise, notice}`."""
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/exercises", body)
        return result

    async def night(
        self,
        user_id: int,
        date: str | None = None,
        *,
        fields: Mapping[str, Any] | None = None,
        push: bool = True,
    ) -> dict[str, Any]:
        """Record a night's sleep and Nightly Recharge (again: replace it): `{data, notice}`."""
        body: dict[str, Any] = {"fields": dict(fields or {}), "push": push}
        if date is not None:
            body["date"] = date
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/sleep", body)
        return result

    async def repeat_night(self, user_id: int, date: str) -> dict[str, Any]:
        """Push a recorded night's SLEEP notice again, its data unchanged: `{data, notice}`."""
        body = {"date": date, "repeat": True}
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/sleep", body)
        return result

    async def set_recharge_delay(self, seconds: float) -> dict[str, Any]:
        """Serve the recharge of nights recorded from now on only seconds later: the settings."""
        body = {"recharge_delay": seconds}
        settings: dict[str, Any] = await self.call("POST", "/settings", body)
        return settings

    async def today(self) -> date:
        """Return the simulated date (UTC)."""
        clock: dict[str, Any] = await self.call("GET", "/clock")
        return datetime.fromisoformat(clock["now"]).date()

    async def accesslink(self, user_id: int, client_id: str, path: str) -> Any:
        """GET an AccessLink path as user_id through client_id, with a token of its own."""
        minted = await self.call("POST", f"/users/{user_id}/tokens", {"client_id": client_id})
        headers = {"Authorization": f"Bearer {minted['access_token']}"}
        return await _request(self.session, "GET", f"{self.url}{path}", headers=headers)

    async def client(self, client_id: str) -> dict[str, Any]:
        """Return a client with its webhook and registered users."""
        client: dict[str, Any] = await self.call("GET", f"/clients/{client_id}")
        return client

    async def deliveries(self, **query: str) -> list[dict[str, Any]]:
        """Return the delivery log (pushes and pings)."""
        path = "/deliveries" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query
                                else "")  # fmt: skip
        result: dict[str, Any] = await self.call("GET", path)
        deliveries: list[dict[str, Any]] = result["deliveries"]
        return deliveries

    async def request_counts(self) -> dict[str, int]:
        """Return how often each AccessLink route was requested."""
        result: dict[str, Any] = await self.call("GET", "/requests")
        counts: dict[str, int] = result["counts"]
        return counts

    async def simulated_day(
        self, user_id: int, date: str | None = None, *, weight: float | None = None
    ) -> dict[str, Any]:
        """Record a night, SleepWise, three activity syncs, a workout, heart rate, a weight change.

        Each pushes its notice; the answer has every document and `notices`.
        """
        body: dict[str, Any] = {}
        if date is not None:
            body["date"] = date
        if weight is not None:
            body["weight"] = weight
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/day", body)
        return result

    async def sleepwise(self, user_id: int, date: str | None = None) -> dict[str, Any]:
        """Record a day's SleepWise periods and push both notices: `{alertness, …, notices}`."""
        body = {} if date is None else {"date": date}
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/sleepwise", body)
        return result

    async def biosensing(self, user_id: int, date: str | None = None) -> dict[str, Any]:
        """Record a day's SpO2, skin and body temperature (needs the user's biosensing flag)."""
        body = {} if date is None else {"date": date}
        result: dict[str, Any] = await self.call("POST", f"/users/{user_id}/biosensing", body)
        return result

    async def set_device(
        self, user_id: int, *, sleepwise: bool | None = None, biosensing: bool | None = None
    ) -> dict[str, Any]:
        """Change what the user's device supports: the user."""
        body = {
            key: value
            for key, value in (("sleepwise", sleepwise), ("biosensing", biosensing))
            if value is not None
        }
        user: dict[str, Any] = await self.call("PATCH", f"/users/{user_id}", body)
        return user

    async def account_request_counts(self, user_id: int) -> dict[str, int]:
        """Return how often one account's token requested each AccessLink route."""
        result: dict[str, Any] = await self.call("GET", f"/requests?user_id={user_id}")
        counts: dict[str, int] = result["counts"]
        return counts

    async def reset_request_counts(self) -> None:
        """Start the request counters from zero."""
        await self.call("DELETE", "/requests", expect=(204,))


# ---- Home Assistant: readiness, onboarding, log-in ---------------------------------------------


async def wait_http(
    session: aiohttp.ClientSession, url: str, proc: ManagedProcess, within: float
) -> None:
    """Wait until url answers HTTP at all (any status)."""
    deadline = time.monotonic() + within
    while True:
        proc.check_alive()
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)):
                return
        if time.monotonic() > deadline:
            raise HarnessError(
                f"{proc.name} did not answer {url} within {within} s; last lines of "
                f"{proc.log_path}:\n{tail(proc.log_path)}"
            )
        await asyncio.sleep(0.2)


async def wait_running(api: HomeAssistantApi, proc: ManagedProcess, within: float) -> None:
    """Wait until Home Assistant reports the RUNNING state (every integration set up)."""
    deadline = time.monotonic() + within
    state = None
    while True:
        proc.check_alive()
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, RequestFailedError):
            state = (await api.get("/api/config"))["state"]
            if state == "RUNNING":
                return
        if time.monotonic() > deadline:
            raise HarnessError(
                f"Home Assistant is not RUNNING after {within} s (state {state}); last lines "
                f"of {proc.log_path}:\n{tail(proc.log_path)}"
            )
        await asyncio.sleep(0.2)


async def onboarding_user_pending(session: aiohttp.ClientSession, base_url: str) -> bool:
    """Return whether the onboarding `user` step still waits (no owner yet)."""
    try:
        steps = await _request(session, "GET", f"{base_url}/api/onboarding")
    except RequestFailedError as err:
        if err.status == 404:  # onboarding finished: its views are gone
            return False
        raise
    return any(step["step"] == "user" and not step["done"] for step in steps)


async def onboard_owner(
    session: aiohttp.ClientSession, base_url: str, name: str, username: str, password: str
) -> Tokens:
    """Create the owner through onboarding's `user` step and return their tokens."""
    client_id = f"{base_url}/"
    answer = await _request(session, "POST", f"{base_url}/api/onboarding/users", json={
        "client_id": client_id, "name": name, "username": username, "password": password,
        "language": "en",
    })  # fmt: skip
    return await exchange_code(session, base_url, answer["auth_code"])


async def login(
    session: aiohttp.ClientSession, base_url: str, username: str, password: str
) -> Tokens:
    """Log in with Home Assistant's own login flow, as the login page does."""
    return await exchange_code(session, base_url,
                               await login_code(session, base_url, username, password))  # fmt: skip


async def login_code(
    session: aiohttp.ClientSession, base_url: str, username: str, password: str
) -> str:
    """Run the login flow and return its authorization code."""
    client_id = f"{base_url}/"
    flow = await _request(session, "POST", f"{base_url}/auth/login_flow", json={
        "client_id": client_id, "handler": ["homeassistant", None],
        "redirect_uri": f"{client_id}?auth_callback=1",
    })  # fmt: skip
    result = await _request(session, "POST", f"{base_url}/auth/login_flow/{flow['flow_id']}",
                            json={"client_id": client_id, "username": username,
                                  "password": password})  # fmt: skip
    if result.get("type") != "create_entry":
        raise HarnessError(f"login as {username!r} failed: {result.get('errors') or result}")
    code: str = result["result"]
    return code


async def exchange_code(session: aiohttp.ClientSession, base_url: str, code: str) -> Tokens:
    """Exchange an authorization code for tokens."""
    client_id = f"{base_url}/"
    answer = await _request(session, "POST", f"{base_url}/auth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": client_id,
    })  # fmt: skip
    return Tokens(answer["access_token"], answer.get("refresh_token"),
                  int(answer["expires_in"]), client_id)  # fmt: skip


async def ensure_application_credentials(
    ws: HassWebSocket, client_id: str, client_secret: str, name: str
) -> bool:
    """Store the AccessLink client for polar_flow unless it is stored; return if created."""
    for item in await ws.command("application_credentials/list"):
        if item["domain"] == DOMAIN and item["client_id"] == client_id:
            return False
    await ws.command("application_credentials/create", domain=DOMAIN, client_id=client_id,
                     client_secret=client_secret, name=name)  # fmt: skip
    return True


# ---- the Polar sign-in, as a person in the frontend does it -----------------------------------


class _FormParser(HTMLParser):
    """Collect the inputs of the simulator's consent form."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.action = values.get("action")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


@dataclass
class SignIn:
    """What one sign-in went through."""

    flow_id: str
    authorize_url: str
    consent_page: bool
    callback_url: str
    result: dict[str, Any] = field(default_factory=dict)


async def sign_in(api: HomeAssistantApi, *, polar_user: int, approve: bool = True) -> SignIn:
    """Add Polar Flow through the config-flow REST API and the simulator's consent page.

    POST the flow (-> external step with the authorize URL), GET the authorize URL: an
    auto-approving simulator redirects at once (as polar_user), otherwise the consent form is
    POSTed with decision=approve and polar_user chosen. The redirect to Home Assistant's
    /auth/external/callback is followed by hand, then the flow is resumed.
    """
    session = api.session
    started = await api.post("/api/config/config_entries/flow", {"handler": DOMAIN})
    if started.get("type") != "external":
        raise HarnessError(f"expected the external OAuth2 step, got {started}")
    flow_id, authorize_url = started["flow_id"], started["url"]
    consent = False
    # `user` is the simulator's stand-in for "who is signed in to Polar in this browser".
    chosen = f"{authorize_url}&user={polar_user}"
    async with session.get(chosen, allow_redirects=False) as resp:
        location = resp.headers.get("Location")
        page = await resp.text()
        status = resp.status
    if status == 200:
        consent = True
        form = _FormParser()
        form.feed(page)
        if form.action is None:
            raise HarnessError(f"no consent form on {authorize_url}: {page[:300]}")
        data = {**form.fields, "user": str(polar_user),
                "decision": "approve" if approve else "deny"}  # fmt: skip
        async with session.post(urljoin(authorize_url, form.action), data=data,
                                allow_redirects=False) as resp:  # fmt: skip
            location = resp.headers.get("Location")
            status = resp.status
    if status != 302 or not location:
        raise HarnessError(f"the simulator did not redirect back (HTTP {status})")
    async with session.get(location) as resp:  # /auth/external/callback needs no token
        if resp.status != 200:
            raise HarnessError(f"GET {location} -> HTTP {resp.status}: {await resp.text()}")
    result = await api.post(f"/api/config/config_entries/flow/{flow_id}", {})
    return SignIn(flow_id, authorize_url, consent, location, result)


async def wait_until(
    probe: Callable[[], Any], what: str, within: float, interval: float = 0.2
) -> Any:
    """Call the async probe until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    last: Any = None
    while True:
        with contextlib.suppress(HarnessError, aiohttp.ClientError):
            last = await probe()
            if last:
                return last
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {within} s waiting for {what} (last: {last!r})")
        await asyncio.sleep(interval)
