"""Take a headless-Chromium screenshot of the Polar Flow device page after a simulated workout.

Started by `scripts/screenshot` (see docs/development.md). It runs its own throw-away stack on
free loopback ports (the simulator and `hass` in a temporary directory), so a running
`scripts/develop` is left alone: onboarding, the Polar sign-in of Alice through the config-flow
REST API and the consent page, two workouts, then Chromium (driven over the DevTools protocol)
opens the device page logged in with the dev user's tokens and saves a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp

from scripts.harness import (
    DOMAIN,
    REPO,
    HarnessError,
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

OUTPUT = REPO / "docs" / "images" / "device-page.png"
CLIENT_ID, CLIENT_SECRET = "polar-flow-dev", "polar-flow-dev-secret"
ALICE = 10000001
READY_TEXT = "Last exercise duration"
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
    """Onboard, sign Alice in, finish two workouts; return the dev tokens and Alice's device."""
    sim = SimControl(session, sim_url)
    await sim.ensure_client(CLIENT_ID, CLIENT_SECRET, [f"{hass_url}/auth/external/callback"],
                            "Home Assistant")  # fmt: skip
    await sim.ensure_user(ALICE, "Alice", "Runner")
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
        events = await ws.subscribe_events("polar_flow_exercise")
        await sim.workout(ALICE, sport="CYCLING", duration=5400, distance=38200)
        await asyncio.wait_for(events.get(), 30)
        await sim.workout(ALICE, sport="RUNNING", duration=2838, distance=8420)
        await asyncio.wait_for(events.get(), 30)
        devices = await ws.command("config/device_registry/list")
    device = next(d for d in devices if [DOMAIN, str(ALICE)] in d["identifiers"])
    return await login(session, hass_url, "dev", "dev"), str(device["id"])


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
    size: tuple[int, int],
) -> bytes:
    """Open url in headless Chromium, logged in with tokens; return a PNG of the page."""
    port = free_port()
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}", f"--window-size={size[0]},{size[1]}",
            "about:blank"]  # fmt: skip
    browser = ManagedProcess.start("chromium", argv, log_path=profile.parent / "chromium.log")
    try:
        targets = await wait_until(
            lambda: _page_targets(session, port), "Chromium's DevTools endpoint", 30
        )
        async with session.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            await tools.send("Page.enable")
            await tools.send("Emulation.setDeviceMetricsOverride", width=size[0],
                             height=size[1], deviceScaleFactor=1, mobile=False)  # fmt: skip
            stored = json.dumps(tokens.frontend_storage(hass_url))
            await tools.send(
                "Page.addScriptToEvaluateOnNewDocument",
                source=f"localStorage.setItem('hassTokens', {json.dumps(stored)});",
            )
            await tools.send("Page.navigate", url=url)
            deadline = time.monotonic() + 60
            while not await tools.evaluate(f"({DEEP_TEXT_JS})({json.dumps(READY_TEXT)})"):
                if time.monotonic() > deadline:
                    shot = await tools.send("Page.captureScreenshot", format="png")
                    (profile.parent / "timeout.png").write_bytes(base64.b64decode(shot["data"]))
                    raise HarnessError(f"the device page never showed {READY_TEXT!r}")
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # let cards and icons settle
            shot = await tools.send("Page.captureScreenshot", format="png")
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


def main() -> int:
    """Run the stack, take the screenshot, clean up."""
    parser = argparse.ArgumentParser(prog="scripts/screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
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
            e2e_configuration(port, name="Home", time_zone="Europe/Helsinki")
        )
        link_integration(config)
        write_partial_onboarding(config)
        write_http_config(config, port)
        hass = start_hass(config, root / "hass.log", env=integration_env(sim_url))
        processes.append(hass)
        print(f"screenshot: Home Assistant on {hass_url}, simulator on {sim_url}, in {root}")

        async def go() -> bytes:
            async with aiohttp.ClientSession() as session:
                tokens, device_id = await prepare(session, hass, hass_url, sim_url)
                page = f"{hass_url}/config/devices/device/{device_id}"
                print(f"screenshot: opening {page}")
                return await capture(
                    session, chromium, page, tokens=tokens, hass_url=hass_url,
                    profile=root / "chromium-profile", size=(args.width, args.height),
                )  # fmt: skip

        png = asyncio.run(go())
    except (HarnessError, aiohttp.ClientError, TimeoutError) as err:
        print(f"screenshot: failed: {err}\nlogs in {root}")
        args.keep = True
        return 1
    finally:
        for proc in reversed(processes):
            proc.stop(timeout=30)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(png)
    print(f"screenshot: saved {args.output} ({len(png)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
