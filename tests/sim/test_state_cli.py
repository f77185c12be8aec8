"""State file round trip, start-up config file, and the command line."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import sys
from typing import Any

import aiohttp

from accesslink_sim.app import SimServer
from accesslink_sim.config import load_config_file

from .util import Receiver, Sim, fast_config, signature_ok

REPO = Path(__file__).resolve().parents[2]


async def test_state_file_round_trip(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    state_file = tmp_path / "sim.state.json"
    server = SimServer(fast_config(state_file=state_file))
    await server.start()
    try:
        sim = Sim(server, session)
        world = await sim.world()
        made = await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"push": False})
        await sim.ctl("POST", "/_sim/clock", {"advance": 3600})
    finally:
        await server.stop()
    saved = json.loads(state_file.read_text())
    assert saved["version"] == 1
    server = SimServer(fast_config(state_file=state_file))
    await server.start()
    try:
        sim = Sim(server, session)
        async with session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
            assert resp.status == 200
            exercises = await resp.json()
        assert [e["id"] for e in exercises] == [made["exercise"]["id"]]
        clock = await sim.ctl("GET", "/_sim/clock")
        assert clock["offset"] >= 3599
        clients = await sim.ctl("GET", "/_sim/clients")
        assert clients[0]["registered_users"] == [world.user_id]
    finally:
        await server.stop()


async def test_state_saved_on_change(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    state_file = tmp_path / "s.state.json"
    server = SimServer(fast_config(state_file=state_file))
    await server.start()
    try:
        sim = Sim(server, session)
        await sim.ctl("POST", "/_sim/users", {"first_name": "Saved"})
        async with asyncio.timeout(3):
            while not state_file.exists():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert json.loads(state_file.read_text())["users"][0]["first_name"] == "Saved"
    finally:
        await server.stop()


async def test_config_file(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text(
        "clients:\n"
        "  - client_id: dev\n"
        "    client_secret: devsecret\n"
        "    redirect_uris: [http://127.0.0.1:8123/auth/external/callback]\n"
        "users:\n"
        "  - {user_id: 42, first_name: Ada}\n"
        "  - {first_name: Bob, consents: false}\n"
        "settings: {auto_approve: true, current_user: 42}\n"
    )
    server = SimServer(fast_config(initial=load_config_file(path)))
    await server.start()
    try:
        sim = Sim(server, session)
        clients = await sim.ctl("GET", "/_sim/clients")
        assert clients[0]["client_secret"] == "devsecret"
        users = await sim.ctl("GET", "/_sim/users")
        assert [u["first_name"] for u in users] == ["Ada", "Bob"]
        assert users[1]["consents"] is False
        query = await sim.authorize("dev")
        status, token = await sim.token("dev", "devsecret", query["code"][0])
        assert status == 200
        assert token["x_user_id"] == 42
    finally:
        await server.stop()


async def _run_cli(*args: str) -> Any:
    """Run a control command through the CLI and decode its JSON output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "accesslink_sim",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return json.loads(out) if out.strip() else None


async def test_cli_serves_and_controls(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "accesslink_sim",
        "--port",
        "0",
        "--seed",
        "3",
        "--auto-approve",
        "--retry-delays",
        "0.05",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert line.startswith("accesslink-sim listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        assert (await _run_cli("health", "--sim-url", url))["ok"] is True
        client = await _run_cli(
            "create-client", "--sim-url", url, "--client-id", "cli", "--client-secret", "s"
        )
        assert client["client_id"] == "cli"
        user = await _run_cli("create-user", "--sim-url", url, "--first-name", "Cli")
        uid = str(user["user_id"])
        await _run_cli("register", uid, "--sim-url", url, "--client-id", "cli")
        sim = Sim.__new__(Sim)
        sim.session, sim.url = session, url
        async with session.post(
            url + "/v3/webhooks",
            json={"events": ["EXERCISE"], "url": receiver.url},
            headers={"Authorization": "Basic Y2xpOnM="},
        ) as resp:
            assert resp.status == 201
            secret = (await resp.json())["data"]["signature_secret_key"]
        result = await _run_cli("workout", uid, "--sim-url", url, "--sport", "CYCLING")
        (notice,) = await receiver.wait_notices(1)
        assert signature_ok(secret, notice)
        assert notice.json["entity_id"] == result["exercise"]["id"]
        counts = await _run_cli("requests", "--sim-url", url)
        assert counts["counts"]["POST /v3/webhooks"] == 1
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0
