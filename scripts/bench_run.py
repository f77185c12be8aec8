"""Benchmark Polar Flow in a real Home Assistant against the AccessLink simulator on loopback.

Run through `scripts/bench` (see docs/benchmarks.md). Prints a table and writes JSON (--out).
Home Assistant and the simulator are subprocesses (scripts/harness.py starts them); this
process is the load generator: it signs EXERCISE notices with the webhook's secret and POSTs
them at a given rate, and the same bodies to a baseline webhook that only answers 200.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
from datetime import datetime
import hashlib
import hmac
import json
import os
from pathlib import Path
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

from scripts.harness import (
    HassWebSocket,
    HomeAssistantApi,
    ManagedProcess,
    RequestFailedError,
    SimControl,
    ensure_application_credentials,
    free_port,
    integration_env,
    link_integration,
    onboard_owner,
    sign_in,
    start_hass,
    start_simulator,
    wait_http,
    wait_running,
    write_http_config,
    write_partial_onboarding,
)

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
BASELINE_WEBHOOK_ID = "bench-baseline"
FLOOR_WEBHOOK_ID = "bench-floor"
FLOOR_EVENT = "bench_floor_exercise"
EVENT = "polar_flow_exercise"
START_TIMEOUT = 180.0
# The integration catches a dropped notice up by a listing this many seconds later (coordinator).
CATCH_UP_DELAY = 15.0

BASELINE_MANIFEST = {
    "domain": "bench_baseline",
    "name": "Benchmark baseline webhook",
    "codeowners": [],
    "dependencies": ["webhook"],
    "documentation": "https://example.invalid",
    "iot_class": "local_push",
    "requirements": [],
    "version": "0.0.1",
}
BASELINE_INIT = (
    '''"""Bench-only webhooks: Home Assistant's floor, and the floor of the work required."""

import hashlib
import hmac
import json

from aiohttp import web

from homeassistant.components import webhook
from homeassistant.helpers.aiohttp_client import async_get_clientsession

DOMAIN = "bench_baseline"


async def _bare(hass, webhook_id, request):
    """Read the body and answer 200."""
    await request.read()
    return web.Response(status=200, text="ok")


async def _fetch_and_fire(hass, conf, notice):
    """One GET of the exercise at the simulator, then one bus event."""
    token = conf["tokens"][str(notice["user_id"])]
    url = conf["api_url"] + "/v3/exercises/" + str(notice["entity_id"])
    session = async_get_clientsession(hass)
    async with session.get(url, headers={"Authorization": "Bearer " + token}) as resp:
        resp.raise_for_status()
        exercise = await resp.json()
    hass.bus.async_fire(
        "FLOOR_EVENT", {"exercise_id": str(exercise["id"]), "sport": exercise.get("sport")}
    )


async def _floor(hass, webhook_id, request):
    """Verify the HMAC, answer 200, then fetch and fire in the background (as Polar Flow)."""
    conf = hass.data[DOMAIN]
    body = await request.read()
    expected = hmac.new(conf["secret"].encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("Polar-Webhook-Signature", "")):
        return web.Response(status=401, text="bad signature")
    notice = json.loads(body)
    hass.async_create_background_task(_fetch_and_fire(hass, conf, notice), "bench floor")
    return web.Response(status=200, text="ok")


async def async_setup(hass, config):
    """Register both webhooks and the action that gives the floor its secret and tokens."""
    hass.data[DOMAIN] = {}

    async def _configure(call):
        hass.data[DOMAIN] = dict(call.data)

    hass.services.async_register(DOMAIN, "configure", _configure)
    webhook.async_register(
        hass, DOMAIN, "Benchmark baseline", "WEBHOOK_ID", _bare, allowed_methods=["POST"]
    )
    webhook.async_register(
        hass, DOMAIN, "Benchmark floor", "FLOOR_ID", _floor, allowed_methods=["POST"]
    )
    return True
'''.replace("WEBHOOK_ID", BASELINE_WEBHOOK_ID)
    .replace("FLOOR_ID", FLOOR_WEBHOOK_ID)
    .replace("FLOOR_EVENT", FLOOR_EVENT)
)


def configuration(
    port: int, *, name: str = "Polar Flow bench", probe: str = "bench_baseline"
) -> str:
    """Return configuration.yaml: recorder with its default commit interval, the bench's probe."""
    url = f"http://127.0.0.1:{port}"
    return f"""\
homeassistant:
  name: {name}
  unit_system: metric
  time_zone: UTC
  country: FI
  currency: EUR
  language: en
  latitude: 60.17
  longitude: 24.94
  elevation: 10
  external_url: {url}
  internal_url: {url}
# No `http:`: write_http_config() stores it confirmed. From YAML it would be a trial that Home
# Assistant reverts, restarting, after five minutes: a full run takes longer.
recorder:
webhook:
{probe}:
logger:
  default: warning
"""


def pct(values: list[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) by nearest rank, or None."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 3)


def rss_kib(pid: int) -> int:
    """Return VmRSS of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def machine() -> dict[str, Any]:
    """Describe the machine."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


class Events:
    """polar_flow_exercise events from Home Assistant's websocket, by exercise id."""

    def __init__(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Start draining the subscription queue."""
        self.queue = queue
        self.seen: Counter[str] = Counter()
        self.fired_at: dict[str, float] = {}
        self.received_at: dict[str, float] = {}
        self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            event = await self.queue.get()
            exercise_id = str(event["data"]["exercise_id"])
            self.seen[exercise_id] += 1
            self.received_at.setdefault(exercise_id, time.time())
            fired = datetime.fromisoformat(event["time_fired"]).timestamp()
            self.fired_at.setdefault(exercise_id, fired)

    async def wait_for(self, ids: list[str], limit: float) -> None:
        """Wait until every id was published (or limit seconds), then a short quiet period."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and any(self.seen[i] == 0 for i in ids):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # let late duplicates show up

    async def close(self) -> None:
        """Stop draining."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def sign(secret: str, body: bytes) -> str:
    """Sign a body as Polar does."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def fire(
    session: aiohttp.ClientSession,
    url: str,
    bodies: list[bytes],
    secret: str,
    rate: float,
    *,
    concurrency: int = 64,
) -> dict[str, Any]:
    """POST signed bodies at rate per second (0: as fast as `concurrency` allows)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    sem = asyncio.Semaphore(concurrency)

    async def one(body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "Polar-Webhook-Event": "EXERCISE",
            "Polar-Webhook-Signature": sign(secret, body),
        }
        async with sem:
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except aiohttp.ClientError:
                statuses[0] += 1
            latencies.append((time.perf_counter() - started) * 1000)

    t0 = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i, body in enumerate(bodies):
        if rate > 0:
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(body)))
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - t0
    return {
        "notices": len(bodies),
        "target_rate": rate or "max",
        "seconds": round(seconds, 3),
        "per_second": round(len(bodies) / seconds, 1),
        "ack_ms": {
            "p50": pct(latencies, 50),
            "p99": pct(latencies, 99),
            "max": pct(latencies, 100),
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


class Bench:
    """One Home Assistant, one simulator, several accounts."""

    def __init__(self, root: Path, accounts: int) -> None:
        """Prepare paths."""
        self.root = root
        self.accounts = [10000001 + i for i in range(accounts)]
        self.port = free_port()
        self.hass_url = f"http://127.0.0.1:{self.port}"
        self.sim_url = ""
        self.sim_proc: ManagedProcess | None = None
        self.hass: ManagedProcess | None = None
        self.secret = ""
        self.webhook_url = ""
        self.entries: list[str] = []

    def start_processes(self) -> None:
        """Start the simulator and hass."""
        unlimited = "100000000,0"
        args = ["--quiet", "--seed", "3", "--retry-delays", "0.5,1,2", "--short-limit", unlimited,
                "--long-limit", unlimited, "--push-concurrency", "64"]  # fmt: skip
        self.sim_proc, self.sim_url = start_simulator(self.root / "sim.log", extra_args=args)
        config = self.root / "config"
        config.mkdir()
        (config / "configuration.yaml").write_text(configuration(self.port))
        write_http_config(config, self.port)
        link_integration(config)
        baseline = config / "custom_components" / "bench_baseline"
        baseline.mkdir(parents=True)
        (baseline / "manifest.json").write_text(json.dumps(BASELINE_MANIFEST))
        (baseline / "__init__.py").write_text(BASELINE_INIT)
        write_partial_onboarding(config)
        self.hass = start_hass(config, self.root / "hass.log", env=integration_env(self.sim_url))

    def stop(self) -> None:
        """Stop both processes."""
        if self.hass is not None:
            self.hass.stop(60)
        if self.sim_proc is not None:
            self.sim_proc.stop()

    async def prepare(self, session: aiohttp.ClientSession) -> tuple[HomeAssistantApi, SimControl]:
        """Onboard, store credentials, sign every account in; return the API and sim control."""
        assert self.hass is not None
        sim = SimControl(session, self.sim_url)
        await sim.ensure_client(CLIENT_ID, CLIENT_SECRET,
                                [f"{self.hass_url}/auth/external/callback"], "bench")  # fmt: skip
        await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": True})
        for user_id in self.accounts:
            await sim.ensure_user(user_id, f"U{user_id}", "Bench")
        await wait_http(session, f"{self.hass_url}/api/onboarding", self.hass, START_TIMEOUT)
        tokens = await onboard_owner(session, self.hass_url, "Bench", "bench", "bench")
        api = HomeAssistantApi(session, self.hass_url, tokens.access_token)
        await wait_running(api, self.hass, START_TIMEOUT)
        async with await api.websocket() as ws:
            await ensure_application_credentials(ws, CLIENT_ID, CLIENT_SECRET, "bench")
        for user_id in self.accounts:
            done = await sign_in(api, polar_user=user_id)
            if done.result.get("type") != "create_entry":
                raise RuntimeError(f"sign-in of {user_id} failed: {done.result}")
            self.entries.append(done.result["result"]["entry_id"])
        for _ in range(200):
            hook = (await sim.client(CLIENT_ID)).get("webhook")
            if hook and hook.get("active") and hook.get("secret"):
                self.secret, self.webhook_url = hook["secret"], hook["url"]
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the integration did not register its webhook")
        return api, sim

    async def restart(self, api: HomeAssistantApi, *, entries_on: bool) -> dict[str, float]:
        """Stop hass, start it again; return seconds to RUNNING and to every entry loaded."""
        assert self.hass is not None
        self.hass.stop(60)
        started = time.perf_counter()
        self.hass = start_hass(self.root / "config", self.root / "hass.log",
                               env=integration_env(self.sim_url))  # fmt: skip
        running = loaded = None
        while running is None or (entries_on and loaded is None):
            self.hass.check_alive()
            if time.perf_counter() - started > START_TIMEOUT:
                raise RuntimeError(f"hass did not start within {START_TIMEOUT} s")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError, RequestFailedError):
                if running is None and (await api.get("/api/config"))["state"] == "RUNNING":
                    running = time.perf_counter() - started
                if entries_on and loaded is None:
                    entries = await api.get("/api/config/config_entries/entry?domain=polar_flow")
                    if sum(entry["state"] == "loaded" for entry in entries) == len(self.entries):
                        loaded = time.perf_counter() - started
            await asyncio.sleep(0.05)
        result = {"running_s": round(running, 3)}
        if loaded is not None:
            result["entries_loaded_s"] = round(loaded, 3)
        async with await api.websocket() as ws:
            timings = await ws.command("integration/setup_info")
        result["setup_info_s"] = round(
            next((t["seconds"] for t in timings if t["domain"] == "polar_flow"), 0.0), 3
        )
        return result

    async def configure_floor(self, api: HomeAssistantApi, sim: SimControl) -> None:
        """Give the floor webhook the real secret and a token per account (minted at the sim)."""
        tokens = {
            str(user_id): (await sim.call("POST", f"/users/{user_id}/tokens",
                                          {"client_id": CLIENT_ID}))["access_token"]
            for user_id in self.accounts
        }  # fmt: skip
        await api.post(
            "/api/services/bench_baseline/configure",
            {"secret": self.secret, "api_url": self.sim_url, "tokens": tokens},
        )

    async def exercises(self, sim: SimControl, count: int) -> list[tuple[int, str]]:
        """Record count exercises (no push), spread over the accounts; return (user, id)."""
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> tuple[int, str]:
            user = self.accounts[i % len(self.accounts)]
            async with sem:
                done = await sim.workout(user, push=False)
            return user, str(done["exercise"]["id"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))


class Profiler:
    """py-spy sampling hass while a burst is acknowledged and published (--profile)."""

    def __init__(self, py_spy: str, out_dir: Path, pid: int) -> None:
        """Sample pid into out_dir."""
        self.py_spy, self.out_dir, self.pid = py_spy, out_dir, pid
        self._proc: subprocess.Popen[bytes] | None = None
        self.path: Path | None = None

    def start(self, name: str) -> None:
        """Start sampling every thread, at 200 Hz, without pausing hass."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.out_dir / f"{name}.txt"
        self._proc = subprocess.Popen(
            [self.py_spy, "record", "--pid", str(self.pid), "--rate", "200", "--format", "raw",
             "--threads", "--nonblocking", "--output", str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> dict[str, Any] | None:
        """Stop sampling; return where the event loop's thread spent its samples."""
        if self._proc is None or self.path is None:
            return None
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if not self.path.exists():
            return None
        return profile_summary(self.path.read_text(errors="replace"))


def _short(frame: str) -> str:
    """Return "function (module.py)" of a py-spy frame "function (path/module.py:line)"."""
    name, _, where = frame.partition(" (")
    parts = where.rstrip(")").rsplit(":", 1)[0].split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


LOOP_FRAMES = frozenset(
    {
        "<module>",
        "main",
        "run",
        "BaseEventLoop.run_until_complete",
        "BaseEventLoop.run_forever",
        "BaseEventLoop._run_once",
        "Handle._run",
    }
)


def _loop_frame(frame: str) -> bool:
    """Return whether a frame is the event loop's or the runner's own, present in every sample."""
    return frame.partition(" (")[0] in LOOP_FRAMES


def profile_summary(raw: str, top: int = 25) -> dict[str, Any]:
    """Sum py-spy's raw stacks of the main thread: busy samples, top functions inclusive."""
    busy = 0
    inclusive: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        # With --threads the first frame names the thread; the event loop runs in MainThread.
        if "MainThread" not in frames[0]:
            continue
        busy += int(count)
        # The loop's own frames (run_forever, _run_once, Handle._run) are in every sample.
        for frame in {_short(f) for f in frames[1:] if not _loop_frame(f)}:
            inclusive[frame] += int(count)
    return {
        "main_thread_busy_samples": busy,
        "sample_rate_hz": 200,
        "top_inclusive": [
            {"function": name, "samples": n, "share": round(n / busy, 3)}
            for name, n in inclusive.most_common(top)
        ]
        if busy
        else [],
    }


def notice_bodies(sim_url: str, items: list[tuple[int, str]]) -> list[bytes]:
    """Return compact EXERCISE notices as the simulator sends them."""
    return [
        json.dumps(
            {
                "event": "EXERCISE",
                "user_id": user,
                "entity_id": ex,
                "timestamp": "2026-11-28T08:00:00.000Z",
                "url": f"{sim_url}/v3/exercises/{ex}",
            },
            separators=(",", ":"),
        ).encode()
        for user, ex in items
    ]


async def requests_count(sim: SimControl) -> int:
    """Return how often single exercises were fetched."""
    return int((await sim.request_counts()).get("GET /v3/exercises/{exercise_id}", 0))


async def run(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - one script
    """Run every measurement and return the results."""
    smoke: bool = args.smoke
    bursts: list[tuple[int, float]] = (
        [(50, 0.0)]
        if smoke
        else args.bursts
        or [(1000, 250.0), (1000, 500.0), (1000, 1000.0), (1000, 0.0), (10000, 0.0)]
    )
    e2e_count = 10 if smoke else 200
    root = Path(tempfile.mkdtemp(prefix="polar-bench-"))
    bench = Bench(root, 1 if smoke else args.accounts)
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["scripts/bench", *sys.argv[1:]]),
        "smoke": smoke,
        "accounts": len(bench.accounts),
        "bursts": [],
    }
    started = time.perf_counter()
    bench.start_processes()
    connector = aiohttp.TCPConnector(limit=128)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            api, sim = await bench.prepare(session)
            assert bench.hass is not None
            ws: HassWebSocket = await api.websocket()
            profiler = (
                Profiler(args.py_spy, Path(args.profile), bench.hass.pid) if args.profile else None
            )
            events = Events(await ws.subscribe_events(EVENT))
            floor_events = Events(await ws.subscribe_events(FLOOR_EVENT))
            await bench.configure_floor(api, sim)
            baseline_url = f"{bench.hass_url}/api/webhook/{BASELINE_WEBHOOK_ID}"
            floor_url = f"{bench.hass_url}/api/webhook/{FLOOR_WEBHOOK_ID}"
            # Setup time: reload of one entry (unload + setup with the first refresh).
            reloads: list[float] = []
            for _ in range(3):
                t = time.perf_counter()
                await api.post(f"/api/config/config_entries/entry/{bench.entries[0]}/reload")
                reloads.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.5)
            results["setup_ms"] = {"entry_reload_median": round(statistics.median(reloads), 1),
                                   "samples": [round(r, 1) for r in reloads]}  # fmt: skip
            await asyncio.sleep(1)
            results["rss_kib_idle"] = rss_kib(bench.hass.pid)

            total: dict[str, float] = {
                "sent": 0,
                "published": 0,
                "lost": 0,
                "duplicated": 0,
                "requests": 0,
            }
            for count, rate in bursts:
                # What the last burst left (catch-up listings, the stores' delayed saves, the
                # recorder's commits) must not fall on the next burst's baseline or floor.
                await asyncio.sleep(0 if smoke else args.settle)
                items = await bench.exercises(sim, count)
                bodies = notice_bodies(bench.sim_url, items)
                ids = [ex for _, ex in items]
                base = await fire(session, baseline_url, bodies, bench.secret, rate)
                floor = await fire(session, floor_url, bodies, bench.secret, rate)
                # The floor's fetches and events end before the integration's burst starts.
                await floor_events.wait_for(ids, max(60.0, count / 50))
                floor["fired"] = sum(1 for i in ids if floor_events.seen[i] >= 1)
                big = count >= 10000
                if big:
                    await asyncio.sleep(2)
                    rss_before = rss_kib(bench.hass.pid)
                req0 = await requests_count(sim)
                if profiler:
                    profiler.start(f"integration-{count}-{rate or 'max'}")
                integ = await fire(session, bench.webhook_url, bodies, bench.secret, rate)
                await events.wait_for(ids, max(60.0, count / 50))
                profile = profiler.stop() if profiler else None
                req = await requests_count(sim) - req0
                lost = sum(1 for i in ids if events.seen[i] == 0)
                dup = sum(1 for i in ids if events.seen[i] > 1)
                row = {
                    "notices": count,
                    "target_rate": rate or "max",
                    "baseline": base,
                    "integration": integ,
                    "floor": floor,
                    "throughput_ratio": round(integ["per_second"] / base["per_second"], 3),
                    "floor_ratio": round(integ["per_second"] / floor["per_second"], 3),
                    "published": sum(1 for i in ids if events.seen[i] >= 1),
                    "lost": lost,
                    "duplicated": dup,
                    "api_requests": req,
                    "requests_per_notice": round(req / count, 3),
                }
                if profile is not None:
                    row["profile"] = profile
                if big:
                    await asyncio.sleep(8)  # recorder commit and stores' delayed saves
                    rss_after = rss_kib(bench.hass.pid)
                    results["memory"] = {"rss_kib_before": rss_before, "rss_kib_after": rss_after,
                                         "growth_mib": round((rss_after - rss_before) / 1024, 2),
                                         "notices": count}  # fmt: skip
                results["bursts"].append(row)
                total["sent"] += count
                total["published"] += row["published"]
                total["lost"] += lost
                total["duplicated"] += dup
                total["requests"] += req

            # End to end: the simulator pushes finished workouts; event time_fired on HA's bus.
            # Like each burst, they start on a settled Home Assistant: after the last burst's
            # catch-up listing (15 s after its last dropped notice), not during it.
            if not args.no_e2e and not smoke:
                await asyncio.sleep(args.settle + CATCH_UP_DELAY)
            results["e2e"] = {}
            for label, hang in () if args.no_e2e else (("api_0ms", 0.0), ("api_100ms", 0.1)):
                await sim.call("DELETE", "/faults", expect=(200, 204))
                if hang:
                    fault = {"path": "/v3/exercises/", "kind": "hang", "seconds": hang,
                             "count": e2e_count}  # fmt: skip
                    await sim.call("POST", "/faults", fault)
                await sim.call("DELETE", "/deliveries", expect=(200, 204))
                made: list[str] = []
                for i in range(e2e_count):
                    user = bench.accounts[i % len(bench.accounts)]
                    made.append(str((await sim.workout(user))["exercise"]["id"]))
                    await asyncio.sleep(0.02)
                await events.wait_for(made, 60)
                deliveries = await sim.deliveries(kind="push", limit="100000")
                left: dict[str, float] = {}
                for d in deliveries:
                    if d.get("ok") and d.get("body"):
                        ex = json.loads(d["body"])["entity_id"]
                        at = datetime.fromisoformat(d["at"].replace("Z", "+00:00")).timestamp()
                        left.setdefault(ex, at - (d.get("latency_ms") or 0) / 1000)
                lat = [(events.fired_at[e] - left[e]) * 1000 for e in made
                       if e in events.fired_at and e in left]  # fmt: skip
                p50, p99 = pct(lat, 50), pct(lat, 99)
                results["e2e"][label] = {
                    "workouts": e2e_count,
                    "measured": len(lat),
                    "p50_ms": p50,
                    "p99_ms": p99,
                    "overhead_p99_ms": round(p99 - hang * 1000, 1) if p99 is not None else None,
                    "lost": sum(1 for e in made if events.seen[e] == 0),
                    "duplicated": sum(1 for e in made if events.seen[e] > 1),
                }
                total["sent"] += e2e_count
                total["published"] += sum(1 for e in made if events.seen[e] >= 1)
                total["lost"] += results["e2e"][label]["lost"]
                total["duplicated"] += results["e2e"][label]["duplicated"]
            await sim.call("DELETE", "/faults", expect=(200, 204))
            total["requests_per_notice"] = round(
                total["requests"] / max(1, sum(c for c, _ in bursts)), 3
            )
            results["totals"] = total
            errors = [
                line
                for line in (root / "hass.log").read_text(errors="replace").splitlines()
                if " ERROR " in line or " CRITICAL " in line
            ]
            results["hass_log_errors"] = errors[:20]
            # Start-up noise of unrelated components (ffmpeg, libturbojpeg) is not ours.
            results["integration_log_errors"] = [
                line for line in errors if "polar_flow" in line or "webhook" in line
            ]
            await events.close()
            await floor_events.close()
            await ws.close()
    finally:
        bench.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    results["work_dir"] = str(root) if args.keep else None
    return results


async def run_startup(args: argparse.Namespace) -> dict[str, Any]:
    """Measure Home Assistant's start-up with N accounts signed in, entries on and disabled."""
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["scripts/bench", *sys.argv[1:]]),
        "repeats": args.repeats,
        "startup": [],
    }
    started = time.perf_counter()
    for accounts in args.startup:
        root = Path(tempfile.mkdtemp(prefix=f"polar-startup-{accounts}-"))
        bench = Bench(root, accounts)
        bench.start_processes()
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128)) as session:
                api, _ = await bench.prepare(session)
                # The entries' first listings and the webhook registration settle first.
                await asyncio.sleep(5)
                on = [await bench.restart(api, entries_on=True) for _ in range(args.repeats)]
                async with await api.websocket() as ws:
                    for entry_id in bench.entries:
                        await ws.command("config_entries/disable", entry_id=entry_id,
                                         disabled_by="user")  # fmt: skip
                off = [await bench.restart(api, entries_on=False) for _ in range(args.repeats)]
        finally:
            bench.stop()
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)

        def median(runs: list[dict[str, float]], key: str) -> float:
            return round(statistics.median(run[key] for run in runs), 3)

        results["startup"].append(
            {
                "accounts": accounts,
                "entries_on": on,
                "entries_disabled": off,
                "running_on_s": median(on, "running_s"),
                "running_off_s": median(off, "running_s"),
                "added_s": round(median(on, "running_s") - median(off, "running_s"), 3),
                "entries_loaded_s": median(on, "entries_loaded_s"),
                "setup_info_s": median(on, "setup_info_s"),
            }
        )
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    return results


def startup_table(results: dict[str, Any]) -> str:
    """Format the start-up results for a terminal."""
    m = results["machine"]
    lines = [
        f"machine: {m['nproc']} cores, {m['cpu_model']}, {m['ram_gib']} GiB RAM",
        f"start-up, seconds from `hass` start, median of {results['repeats']} restarts",
        "",
        "accounts |  running disabled   added |  loaded  setup",
    ]
    lines.extend(
        f"{row['accounts']:>8} | {row['running_on_s']:>8} {row['running_off_s']:>8} "
        f"{row['added_s']:>7} | {row['entries_loaded_s']:>7} {row['setup_info_s']:>6}"
        for row in results["startup"]
    )
    lines += [
        "",
        "running: to RUNNING with the entries on; disabled: the same config, entries disabled;",
        "added = running - disabled; loaded: every entry loaded (first poll that sees it);",
        "setup: polar_flow's own set-up time as Home Assistant counts it (integration/setup_info)",
        f"wall {results['wall_seconds']} s",
    ]
    return "\n".join(lines)


def table(results: dict[str, Any]) -> str:
    """Format the results for a terminal."""
    m = results["machine"]
    setup = results["setup_ms"]["entry_reload_median"]
    lines = [
        (
            f"machine: {m['nproc']} cores, {m['cpu_model']}, {m['ram_gib']} GiB RAM; "
            f"{results['accounts']} accounts"
        ),
        f"integration setup (entry reload, median): {setup} ms",
        "",
        (
            f"{'notices':>8} {'rate/s':>7} | {'base/s':>8} {'p50':>7} {'p99':>7} | "
            f"{'floor/s':>8} {'p50':>7} {'p99':>7} | "
            f"{'integ/s':>8} {'p50':>7} {'p99':>7} | {'/base':>5} {'/floor':>6} | {'pub':>6} "
            f"{'lost':>4} {'dup':>4} {'req/n':>5}"
        ),
    ]
    for row in results["bursts"]:
        b, f, i = row["baseline"], row["floor"], row["integration"]
        lines.append(
            f"{row['notices']:>8} {row['target_rate']!s:>7} | {b['per_second']:>8} "
            f"{b['ack_ms']['p50']:>7} {b['ack_ms']['p99']:>7} | {f['per_second']:>8} "
            f"{f['ack_ms']['p50']:>7} {f['ack_ms']['p99']:>7} | {i['per_second']:>8} "
            f"{i['ack_ms']['p50']:>7} {i['ack_ms']['p99']:>7} | {row['throughput_ratio']:>5} "
            f"{row['floor_ratio']:>6} | {row['published']:>6} {row['lost']:>4} "
            f"{row['duplicated']:>4} {row['requests_per_notice']:>5}"
        )
    for row in results["bursts"]:
        if prof := row.get("profile"):
            lines.append(
                f"\nprofile of the integration at {row['notices']}@{row['target_rate']}: "
                f"event loop busy {prof['main_thread_busy_samples']} samples at "
                f"{prof['sample_rate_hz']} Hz; inclusive share of the top functions:"
            )
            lines.extend(
                f"  {top['share']:>6.1%}  {top['function']}" for top in prof["top_inclusive"][:15]
            )
    lines.append("")
    for label, e in results["e2e"].items():
        lines.append(
            f"end-to-end {label}: p50 {e['p50_ms']} ms, p99 {e['p99_ms']} ms, overhead p99 "
            f"{e['overhead_p99_ms']} ms ({e['measured']}/{e['workouts']}; lost {e['lost']}, "
            f"dup {e['duplicated']})"
        )
    if mem := results.get("memory"):
        lines.append(
            f"RSS: {mem['rss_kib_before'] / 1024:.1f} MiB -> {mem['rss_kib_after'] / 1024:.1f} MiB"
            f" ({mem['growth_mib']:+} MiB after {mem['notices']} notices)"
        )
    t = results["totals"]
    lines.append(
        f"totals: sent {t['sent']}, published {t['published']}, lost {t['lost']}, duplicated "
        f"{t['duplicated']}, AccessLink requests per notice {t['requests_per_notice']}"
    )
    lines.append(
        f"hass log errors: {len(results['hass_log_errors'])} (integration/webhook: "
        f"{len(results['integration_log_errors'])}); wall {results['wall_seconds']} s"
    )
    return "\n".join(lines)


def bursts_arg(text: str) -> list[tuple[int, float]]:
    """Parse COUNT@RATE[,COUNT@RATE...]; RATE "max" is as fast as the connections allow."""
    bursts = []
    for part in text.split(","):
        count, _, rate = part.partition("@")
        bursts.append((int(count), 0.0 if rate in ("", "max") else float(rate)))
    return bursts


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print and write the results."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="50 notices, one account: seconds")
    parser.add_argument("--accounts", type=int, default=3, help="Polar accounts (default 3)")
    parser.add_argument("--out", default="bench-results.json", help="JSON output path")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (config, logs)")
    parser.add_argument("--bursts", type=bursts_arg, help="e.g. 1000@500,1000@max (default: all)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
    parser.add_argument(
        "--settle", type=float, default=12.0, help="seconds hass is left alone before each burst"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="sample hass with py-spy during each integration burst into DIR",
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy to use")
    parser.add_argument(
        "--startup",
        type=lambda text: [int(n) for n in text.split(",")],
        nargs="?",
        const=[1, 10, 100],
        metavar="N,N,...",
        help="measure start-up with N accounts instead (default 1,10,100)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="restarts per case (--startup)")
    args = parser.parse_args(argv)
    if args.profile and not args.py_spy:
        parser.error("--profile needs py-spy (pip install py-spy; then --py-spy PATH)")
    if args.startup:
        results = asyncio.run(run_startup(args))
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        print(startup_table(results))
        print(f"results: {args.out}")
        return 0
    results = asyncio.run(run(args))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
