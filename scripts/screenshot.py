"""Take headless-Chromium screenshots of Polar Flow: device page, example dashboard, calendar.

Started by `scripts/screenshot` (see docs/development.md). It runs its own throw-away stack on
free loopback ports (the simulator and `hass` in a temporary directory), so a running
`scripts/develop` is left alone: four weeks of Alice's days recorded at the simulator, onboarding,
her Polar sign-in through the config-flow REST API and the consent page (which lists those weeks
into the history and the statistics), today's night and activity, two workouts, the example
dashboard docs/dashboard.yaml created; then Chromium (driven over the DevTools protocol) opens
each page logged in with the dev user's tokens and saves a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as day_time, timedelta
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp
import yaml

from scripts.harness import (
    DOMAIN,
    REPO,
    HarnessError,
    HassWebSocket,
    HomeAssistantApi,
    ManagedProcess,
    SimControl,
    Tokens,
    e2e_configuration,
    ensure_application_credentials,
    free_port,
    integration_env,
    link_integration,
    login,
    onboard_owner,
    sign_in,
    start_hass,
    start_simulator,
    wait_http,
    wait_running,
    wait_until,
    write_http_config,
    write_partial_onboarding,
)

IMAGES = REPO / "docs" / "images"
DASHBOARD = REPO / "docs" / "dashboard.yaml"
DASHBOARD_URL = "polar-flow"
CLIENT_ID, CLIENT_SECRET = "polar-flow-dev", "polar-flow-dev-secret"
ALICE = 10000001
# Days recorded before the sign-in, each that evening (UTC): AccessLink lists 28 days back.
PAST_DAYS = 28
EVENING = day_time(19, 30)
# Cards that show instead of one that cannot: their presence fails the screenshot.
ERROR_CARDS = ("hui-error-card", "hui-warning")


@dataclass(frozen=True, slots=True)
class Page:
    """One screenshot: where it goes, the text that shows it is ready, its size, what it keeps.

    storage: the frontend's local storage items the page starts with, besides the tokens.
    """

    file: str
    ready_text: str
    size: tuple[int, int]
    storage: tuple[tuple[str, Any], ...] = ()


PAGES = {
    "device": Page("device-page.png", "Last exercise duration", (1280, 900)),
    "dashboard": Page("dashboard.png", "Last 30 days", (1400, 1000)),
    # The calendar panel with the training calendar only (it keeps which ones are hidden).
    "calendar": Page(
        "training-calendar.png", "Running ·", (1600, 900),
        (("deSelectedCalendars", ["calendar.alice_runner_sleep"]),),
    ),
}  # fmt: skip
# The time zone of the browser too: the frontend shows times in it by default.
TIME_ZONE = "Europe/Helsinki"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio", "--lang=en-US",
]  # fmt: skip
# Does any element, inside any shadow root, show this text?
DEEP_TEXT_JS = """
(needle) => {
  const seen = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      for (const node of el.childNodes) {
        if (node.nodeType === 3 && node.textContent.includes(needle)) seen.push(node);
      }
    }
  };
  walk(document);
  return seen.length > 0;
}
"""
# The tag names found inside any shadow root.
DEEP_TAGS_JS = """
(tags) => {
  const seen = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (tags.includes(el.localName)) seen.push(el.localName + ': ' + el.innerText);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return seen;
}
"""


class DevTools:
    """Just enough of the Chrome DevTools protocol: commands on one page target."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap the page's websocket."""
        self._ws = ws
        self._id = 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (events in between are skipped)."""
        self._id += 1
        await self._ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json(timeout=60)
            if message.get("id") == self._id:
                if "error" in message:
                    raise HarnessError(f"DevTools {method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return the value."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True)  # fmt: skip
        return result.get("result", {}).get("value")


async def prepare(
    session: aiohttp.ClientSession, hass: ManagedProcess, hass_url: str, sim_url: str
) -> tuple[Tokens, str]:
    """Record past days, onboard, sign Alice in, add today, two workouts and the dashboard.

    Return the dev tokens and Alice's device.
    """
    sim = SimControl(session, sim_url)
    await sim.ensure_client(CLIENT_ID, CLIENT_SECRET, [f"{hass_url}/auth/external/callback"],
                            "Home Assistant")  # fmt: skip
    await sim.ensure_user(ALICE, "Alice", "Runner")
    today = await sim.today()
    await record_past_days(sim, [today - timedelta(days=PAST_DAYS - i) for i in range(PAST_DAYS)])
    await wait_http(session, f"{hass_url}/api/onboarding", hass, 120)
    tokens = await onboard_owner(session, hass_url, "Developer", "dev", "dev")
    api = HomeAssistantApi(session, hass_url, tokens.access_token)
    await wait_running(api, hass, 120)
    async with await api.websocket() as ws:
        await ensure_application_credentials(ws, CLIENT_ID, CLIENT_SECRET, "AccessLink")
    done = await sign_in(api, polar_user=ALICE)
    if done.result.get("type") != "create_entry":
        raise HarnessError(f"sign-in did not create an entry: {done.result}")
    await wait_until(lambda: _webhook(sim), "the webhook at the simulator", 30)
    async with await api.websocket() as ws:
        recharged = await ws.subscribe_events("polar_flow_nightly_recharge")
        active = await ws.subscribe_events("polar_flow_activity")
        await sim.night(ALICE, today.isoformat())
        await sim.call("POST", f"/users/{ALICE}/activity", {"date": today.isoformat()})
        await asyncio.wait_for(recharged.get(), 30)
        await asyncio.wait_for(active.get(), 30)
        events = await ws.subscribe_events("polar_flow_exercise")
        await sim.workout(ALICE, sport="CYCLING", duration=5400, distance=38200)
        await asyncio.wait_for(events.get(), 30)
        await sim.workout(ALICE, sport="RUNNING", duration=2838, distance=8420)
        await asyncio.wait_for(events.get(), 30)
        devices = await ws.command("config/device_registry/list")
        await create_dashboard(api, ws)
    device = next(d for d in devices if [DOMAIN, str(ALICE)] in d["identifiers"])
    return await login(session, hass_url, "dev", "dev"), str(device["id"])


async def record_past_days(sim: SimControl, days: list[date]) -> None:
    """Record a whole day for each date, that evening, Alice registered to the client before.

    AccessLink shows a client only data recorded after the user registered to it; nothing is
    pushed, as no webhook exists yet. The simulator's clock is back at real time afterwards.
    """
    await set_clock(sim, datetime.combine(days[0], day_time(0, 0), UTC))
    await sim.call("POST", f"/users/{ALICE}/register", {"client_id": CLIENT_ID})
    try:
        for day in days:
            await set_clock(sim, datetime.combine(day, EVENING, UTC))
            await sim.simulated_day(ALICE, day.isoformat())
    finally:
        offset = (await sim.call("GET", "/clock"))["offset"]
        await sim.call("POST", "/clock", {"advance": -offset})


async def set_clock(sim: SimControl, when: datetime) -> None:
    """Move the simulator's clock to a moment."""
    await sim.call("POST", "/clock", {"set": when.isoformat()})


async def create_dashboard(api: HomeAssistantApi, ws: HassWebSocket) -> None:
    """Create the example dashboard, after checking that each id it shows exists."""
    config = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    ids = set(_ids(config))

    async def missing() -> list[str]:
        states = {state["entity_id"] for state in await api.get("/api/states")}
        statistics = await ws.command("recorder/list_statistic_ids")
        return sorted(ids - states - {item["statistic_id"] for item in statistics})

    # The statistics are written in the background after the sign-in.
    with contextlib.suppress(HarnessError):
        await wait_until(lambda: _none(missing), "the dashboard's entities and statistics", 30)
    if lacking := await missing():
        raise HarnessError(f"{DASHBOARD.name} shows what a fresh setup lacks: {lacking}")
    await ws.command("lovelace/dashboards/create", url_path=DASHBOARD_URL,
                     title=config["title"], icon="mdi:run")  # fmt: skip
    await ws.command("lovelace/config/save", url_path=DASHBOARD_URL, config=config)


async def _none(probe: Callable[[], Awaitable[list[str]]]) -> bool:
    """Return whether the probe finds nothing."""
    return not await probe()


def _ids(node: Any) -> Iterator[str]:
    """Yield the entity and statistic ids a dashboard configuration names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("entity", "entities") and isinstance(value, str):
                yield value
            elif key == "entities" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            yield from _ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ids(item)


async def _webhook(sim: SimControl) -> Any:
    """Return the client's webhook once it exists."""
    return (await sim.client(CLIENT_ID)).get("webhook")


async def capture(
    session: aiohttp.ClientSession,
    chromium: str,
    url: str,
    *,
    tokens: Tokens,
    hass_url: str,
    profile: Path,
    page: Page,
    size: tuple[int, int],
) -> bytes:
    """Open url in headless Chromium, logged in with tokens; return a PNG of the page.

    The page is taken once it shows ready_text; an error card on it fails the screenshot.
    """
    port = free_port()
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}", f"--window-size={size[0]},{size[1]}",
            "about:blank"]  # fmt: skip
    browser = ManagedProcess.start("chromium", argv, log_path=profile.parent / "chromium.log",
                                   env={"TZ": TIME_ZONE})  # fmt: skip
    try:
        targets = await wait_until(
            lambda: _page_targets(session, port), "Chromium's DevTools endpoint", 30
        )
        async with session.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            await tools.send("Page.enable")
            await tools.send("Emulation.setDeviceMetricsOverride", width=size[0],
                             height=size[1], deviceScaleFactor=1, mobile=False)  # fmt: skip
            stored = {"hassTokens": tokens.frontend_storage(hass_url), **dict(page.storage)}
            await tools.send(
                "Page.addScriptToEvaluateOnNewDocument",
                source="".join(
                    f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(value))});"
                    for key, value in stored.items()
                ),
            )
            await tools.send("Page.navigate", url=url)
            deadline = time.monotonic() + 60
            while not await tools.evaluate(f"({DEEP_TEXT_JS})({json.dumps(page.ready_text)})"):
                if time.monotonic() > deadline:
                    shot = await tools.send("Page.captureScreenshot", format="png")
                    (profile.parent / "timeout.png").write_bytes(base64.b64decode(shot["data"]))
                    raise HarnessError(f"{url} never showed {page.ready_text!r}")
                await asyncio.sleep(0.5)
            await asyncio.sleep(3)  # let cards, charts and icons settle
            shot = await tools.send("Page.captureScreenshot", format="png")
            errors = await tools.evaluate(f"({DEEP_TAGS_JS})({json.dumps(ERROR_CARDS)})")
            if errors:
                (profile.parent / "errors.png").write_bytes(base64.b64decode(shot["data"]))
                raise HarnessError(f"{url} shows error cards: {errors}")
            return base64.b64decode(shot["data"])
    finally:
        browser.stop(timeout=10)


async def _page_targets(session: aiohttp.ClientSession, port: int) -> list[dict[str, Any]]:
    """Return Chromium's page targets."""
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets: list[dict[str, Any]] = await resp.json()
            return [t for t in targets if t.get("type") == "page"]
    return []


def _parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    parser = argparse.ArgumentParser(prog="scripts/screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=[*PAGES, "all"], default="all",
                        help="the page to take (default: all, into docs/images)")  # fmt: skip
    parser.add_argument("--output", type=Path, help="the PNG of a single --page")
    parser.add_argument("--width", type=int, help="window width (default: the page's)")
    parser.add_argument("--height", type=int, help="window height (default: the page's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def main() -> int:
    """Run the stack, take the screenshots, clean up."""
    parser = _parser()
    args = parser.parse_args()
    names = list(PAGES) if args.page == "all" else [args.page]
    if args.output is not None and len(names) > 1:
        parser.error("--output needs a single --page")
    outputs = {name: args.output or IMAGES / PAGES[name].file for name in names}
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("screenshot: Chromium is missing (Debian: apt-get install -y chromium)")
        return 1
    root = Path(tempfile.mkdtemp(prefix="polar-flow-screenshot-"))
    port = free_port()
    hass_url = f"http://127.0.0.1:{port}"
    processes: list[ManagedProcess] = []
    try:
        sim, sim_url = start_simulator(root / "sim.log", extra_args=["--quiet", "--seed", "11"])
        processes.append(sim)
        config = root / "config"
        config.mkdir()
        (config / "configuration.yaml").write_text(
            e2e_configuration(port, name="Home", time_zone=TIME_ZONE)
        )
        link_integration(config)
        write_partial_onboarding(config)
        write_http_config(config, port)
        hass = start_hass(config, root / "hass.log", env=integration_env(sim_url))
        processes.append(hass)
        print(f"screenshot: Home Assistant on {hass_url}, simulator on {sim_url}, in {root}")

        async def go() -> dict[str, bytes]:
            async with aiohttp.ClientSession() as session:
                tokens, device_id = await prepare(session, hass, hass_url, sim_url)
                paths = {
                    "device": f"/config/devices/device/{device_id}",
                    "dashboard": f"/{DASHBOARD_URL}/0",
                    "calendar": "/calendar",
                }
                shots: dict[str, bytes] = {}
                for name in names:
                    page = PAGES[name]
                    url = f"{hass_url}{paths[name]}"
                    print(f"screenshot: opening {url}")
                    size = (args.width or page.size[0], args.height or page.size[1])
                    shots[name] = await capture(
                        session, chromium, url, tokens=tokens, hass_url=hass_url,
                        profile=root / f"chromium-{name}", page=page, size=size,
                    )  # fmt: skip
                return shots

        shots = asyncio.run(go())
    except (HarnessError, aiohttp.ClientError, TimeoutError) as err:
        print(f"screenshot: failed: {err}\nlogs in {root}")
        args.keep = True
        return 1
    finally:
        for proc in reversed(processes):
            proc.stop(timeout=30)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    for name, png in shots.items():
        outputs[name].parent.mkdir(parents=True, exist_ok=True)
        outputs[name].write_bytes(png)
        print(f"screenshot: saved {outputs[name]} ({len(png)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
