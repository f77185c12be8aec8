#!/usr/bin/env python3
"""Measure how many signed notices per second the simulator pushes to a trivial local receiver.

Starts `python -m accesslink_sim --port 0 --quiet` as a subprocess, an aiohttp receiver in this
process (it verifies every signature), registers a client, a user and a webhook, then asks the
simulator for a burst through POST /_sim/burst and prints the figures.

    .venv/bin/python scripts/bench_sim_push.py --count 5000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
from pathlib import Path
import sys
import time

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]


async def main(count: int, concurrency: int, repeat: int) -> int:
    """Run the benchmark."""
    state = {"secret": b"", "ok": 0, "bad": 0}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Polar-Webhook-Event") != "PING":
            sig = hmac.new(state["secret"], body, hashlib.sha256).hexdigest()  # type: ignore[arg-type]
            good = hmac.compare_digest(sig, request.headers.get("Polar-Webhook-Signature", ""))
            state["ok" if good else "bad"] += 1  # type: ignore[operator]
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "accesslink_sim", "--port", "0", "--quiet",
        "--push-concurrency", str(concurrency),
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        sim = line.rsplit(" ", 1)[1]
        async with aiohttp.ClientSession() as http:

            async def ctl(path: str, body: object) -> dict[str, object]:
                async with http.post(sim + path, json=body) as resp:
                    resp.raise_for_status()
                    data: dict[str, object] = await resp.json()
                    return data

            await ctl("/_sim/clients", {"client_id": "bench", "client_secret": "s"})
            user = await ctl("/_sim/users", {})
            await ctl(f"/_sim/users/{user['user_id']}/register", {"client_id": "bench"})
            basic = base64.b64encode(b"bench:s").decode()
            async with http.post(
                sim + "/v3/webhooks",
                json={"events": ["EXERCISE"], "url": hook_url},
                headers={"Authorization": f"Basic {basic}"},
            ) as resp:
                resp.raise_for_status()
                state["secret"] = (await resp.json())["data"]["signature_secret_key"].encode()
            best = 0.0
            for run in range(1, repeat + 1):
                started = time.perf_counter()
                result = await ctl("/_sim/burst", {"count": count, "concurrency": concurrency})
                wall = time.perf_counter() - started
                rate = float(result["per_second"])  # type: ignore[arg-type]
                best = max(best, rate)
                print(
                    f"run {run}: {result['ok']}/{count} answered 200 in {result['seconds']} s "
                    f"-> {rate:.0f} notices/s (wall {wall:.2f} s); "
                    f"latency ms {result['latency_ms']}"
                )
        print(f"receiver verified {state['ok']} signatures, {state['bad']} bad")
        print(json.dumps({"notices_per_second_best": round(best), "count": count}))
        return 0 if state["bad"] == 0 else 1
    finally:
        proc.terminate()
        await proc.wait()
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.count, args.concurrency, args.repeat)))
