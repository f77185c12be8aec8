"""Run the AccessLink simulator and a real Home Assistant with Polar Flow, ready to click.

Started by `scripts/develop` (see docs/development.md):

    scripts/develop                  # simulator + Home Assistant; Ctrl-C stops both
    scripts/develop workout [alice]  # finish a workout at the simulator (pushed to Home Assistant)
    scripts/develop reset            # forget the runtime state of both (config/.storage, ...)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import os
from pathlib import Path
import shutil
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any, NoReturn

import aiohttp

from scripts.harness import (
    REPO,
    HarnessError,
    HomeAssistantApi,
    ManagedProcess,
    SimControl,
    ensure_application_credentials,
    integration_env,
    link_integration,
    login,
    onboard_owner,
    onboarding_user_pending,
    port_in_use,
    start_hass,
    start_simulator,
    wait_http,
    wait_running,
    write_http_config,
    write_partial_onboarding,
)

CONFIG = REPO / "config"
KEEP_IN_CONFIG = {"configuration.yaml", "README.md", "custom_components"}
HA_PORT = int(os.environ.get("POLAR_FLOW_DEV_HA_PORT", "8123"))
SIM_PORT = int(os.environ.get("POLAR_FLOW_DEV_SIM_PORT", "8765"))
HA_URL = f"http://127.0.0.1:{HA_PORT}"
SIM_URL = f"http://127.0.0.1:{SIM_PORT}"
SIM_STATE = CONFIG / "accesslink-sim.state.json"
SIM_LOG = CONFIG / "accesslink-sim.log"
HASS_LOG = CONFIG / "hass-console.log"
DEV_USER, DEV_PASSWORD, DEV_NAME = "dev", "dev", "Developer"
CLIENT_ID, CLIENT_SECRET = "polar-flow-dev", "polar-flow-dev-secret"
USERS = {"alice": (10000001, "Alice", "Runner"), "bob": (10000002, "Bob", "Cyclist")}
START_TIMEOUT = 180.0

_print_lock = threading.Lock()


def say(text: str) -> None:
    """Print a line of this script's own output."""
    with _print_lock:
        print(f"develop | {text}", flush=True)


def echo(prefix: str) -> Callable[[str], None]:
    """Return a printer of a child's lines with a prefix."""

    def _print(line: str) -> None:
        with _print_lock:
            print(f"{prefix} | {line}", flush=True)

    return _print


async def prepare_simulator(session: aiohttp.ClientSession) -> None:
    """Create the development client and the Polar users unless they exist."""
    sim = SimControl(session, SIM_URL)
    redirects = [
        f"http://127.0.0.1:{HA_PORT}/auth/external/callback",
        f"http://localhost:{HA_PORT}/auth/external/callback",
    ]
    await sim.ensure_client(CLIENT_ID, CLIENT_SECRET, redirects, "Home Assistant (development)")
    for user_id, first, last in USERS.values():
        await sim.ensure_user(user_id, first, last)


async def prepare_home_assistant(session: aiohttp.ClientSession, hass: ManagedProcess) -> None:
    """Onboard (first run) or log in as the dev user; store the simulator's client."""
    await wait_http(session, f"{HA_URL}/manifest.json", hass, START_TIMEOUT)
    if await onboarding_user_pending(session, HA_URL):
        say(f"onboarding: creating the owner {DEV_USER!r} (password {DEV_PASSWORD!r})")
        tokens = await onboard_owner(session, HA_URL, DEV_NAME, DEV_USER, DEV_PASSWORD)
    else:
        try:
            tokens = await login(session, HA_URL, DEV_USER, DEV_PASSWORD)
        except HarnessError as err:
            raise HarnessError(
                f"cannot log in as {DEV_USER}/{DEV_PASSWORD} ({err}); "
                "`scripts/develop reset` starts from scratch"
            ) from err
    api = HomeAssistantApi(session, HA_URL, tokens.access_token)
    await wait_running(api, hass, START_TIMEOUT)
    async with await api.websocket() as ws:
        created = await ensure_application_credentials(
            ws, CLIENT_ID, CLIENT_SECRET, "AccessLink simulator"
        )
    say(f"application credentials {CLIENT_ID!r}: {'created' if created else 'already there'}")


def banner() -> None:
    """Tell the developer what to do next."""
    alice = USERS["alice"][0]
    lines = [
        "",
        "Ready.",
        f"  1. Open {HA_URL} and log in as {DEV_USER} / {DEV_PASSWORD}.",
        "  2. Settings > Devices & services > Add integration > Polar Flow.",
        f"  3. The simulator's sign-in page opens: pick Alice Runner ({alice}) and Approve.",
        "  4. Finish a workout:  scripts/develop workout        (or: workout bob --sport CYCLING)",
        "     and watch the Polar Flow device page: the event entity and the sensors update.",
        f"  Simulator: {SIM_URL}/_sim/state   CLI: .venv/bin/python -m accesslink_sim --help",
        "  Ctrl-C stops both.",
        "",
    ]
    for line in lines:
        say(line)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into the same clean stop as Ctrl-C."""
    raise KeyboardInterrupt


def write_default_includes(config_dir: Path) -> None:
    """Create what the UI saves automations, scripts and scenes in, as a new Home Assistant does."""
    for name, default in (("automations.yaml", "[]"), ("scripts.yaml", ""), ("scenes.yaml", "")):
        if not (path := config_dir / name).exists():
            path.write_text(default, encoding="utf-8")


def run() -> int:
    """Start both, prepare them, and keep them running until Ctrl-C."""
    for name, port, var in (("Home Assistant", HA_PORT, "POLAR_FLOW_DEV_HA_PORT"),
                            ("the simulator", SIM_PORT, "POLAR_FLOW_DEV_SIM_PORT")):  # fmt: skip
        if port_in_use(port):
            say(f"port {port} for {name} is in use (another scripts/develop?); set {var}")
            return 1
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with `&`
    link_integration(CONFIG)
    write_default_includes(CONFIG)
    if write_partial_onboarding(CONFIG):
        say("fresh config/.storage: onboarding will create the dev user")
    write_http_config(CONFIG, HA_PORT)
    processes: list[ManagedProcess] = []
    status = 1
    try:
        sim, _ = start_simulator(
            SIM_LOG,
            port=SIM_PORT,
            extra_args=["--state", str(SIM_STATE)],
            echo=echo("sim "),
        )
        processes.append(sim)
        env = {
            **integration_env(SIM_URL),
            "POLAR_FLOW_DEV_URL": HA_URL,
        }
        hass = start_hass(CONFIG, HASS_LOG, env=env, echo=echo("hass"))
        processes.append(hass)
        say(f"simulator on {SIM_URL}; Home Assistant starting on {HA_URL} (pid {hass.pid})")

        async def prepare() -> None:
            async with aiohttp.ClientSession() as session:
                await prepare_simulator(session)
                await prepare_home_assistant(session, hass)

        asyncio.run(prepare())
        banner()
        while all(proc.running() for proc in processes):
            time.sleep(0.5)
        for proc in processes:
            if not proc.running():
                say(f"{proc.name} exited with status {proc.popen.returncode}; stopping")
    except KeyboardInterrupt:
        say("stopping (Home Assistant saves its state; up to 60 s)")
        status = 0
    except (HarnessError, aiohttp.ClientError) as err:
        say(f"error: {err}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        for proc in reversed(processes):
            say(f"{proc.name} stopped (status {proc.stop(timeout=60)})")
    return status


def workout(args: argparse.Namespace) -> int:
    """Finish a workout for a simulated Polar user."""
    user_id = USERS[args.user][0] if args.user in USERS else int(args.user)
    body: dict[str, Any] = {"sport": args.sport, "duration": round(args.minutes * 60),
                            "push": not args.no_push}  # fmt: skip
    if args.km is not None:
        body["distance"] = round(args.km * 1000)

    async def call() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            return await SimControl(session, SIM_URL).workout(user_id, **body)

    try:
        result = asyncio.run(call())
    except (HarnessError, aiohttp.ClientError) as err:
        print(f"workout: {err} (is scripts/develop running? simulator at {SIM_URL})")
        return 1
    exercise, notice = result["exercise"], result["notice"]
    print(
        f"user {user_id}: {exercise.get('sport')} {exercise.get('duration')} "
        f"{exercise.get('distance')} m, exercise {exercise['id']}"
    )
    if notice is None:
        print("recorded without a push (Home Assistant finds it on its next catch-up)")
    elif notice["clients"]:
        print(f"EXERCISE notice {notice['notice_id']} pushed to client(s) {notice['clients']}")
    else:
        print("no webhook for this user yet: add Polar Flow in Home Assistant first")
    return 0


def reset(_args: argparse.Namespace) -> int:
    """Delete what Home Assistant and the simulator wrote at run time under config/."""
    if port_in_use(HA_PORT) or port_in_use(SIM_PORT):
        print("stop scripts/develop first")
        return 1
    for path in sorted(CONFIG.iterdir()):
        if path.name in KEEP_IN_CONFIG:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        print(f"removed config/{path.name}")
    return 0


def main(argv: list[str]) -> int:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("workout", help="finish a workout at the simulator")
    p.add_argument("user", nargs="?", default="alice", help="alice, bob or a Polar user id")
    p.add_argument("--sport", default="RUNNING")
    p.add_argument("--minutes", type=float, default=45)
    p.add_argument("--km", type=float, default=None, help="distance (default: generated)")
    p.add_argument("--no-push", action="store_true", help="record only: a missed push")
    sub.add_parser("reset", help="forget the runtime state under config/")
    args = parser.parse_args(argv)
    if args.command == "workout":
        return workout(args)
    if args.command == "reset":
        return reset(args)
    return run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
