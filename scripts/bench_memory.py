"""Attribute Home Assistant's memory growth under Polar Flow's notices, by file, against a baseline.

Run as `scripts/bench --memory` or `python -m scripts.bench_memory` (see docs/benchmarks.md).
Home Assistant and the AccessLink simulator are subprocesses (scripts/harness.py). A bench-only
integration, written into the temporary config, starts `tracemalloc` in the hass process and
answers websocket commands: snapshots grouped by file (after a full garbage collection), a burst
of bus events shaped like `polar_flow_exercise` (the baseline), and the sizes of each account's
data kept by design (history, ledger).

Runs, each measured by tracemalloc (bytes still allocated, by file) and VmRSS:
  (a) baseline: the bench integration fires N bus events with a real exercise event's data;
  (b) the integration: N signed EXERCISE notices of new exercises (as scripts/bench_run does);
  (c) flat: on to --flat notices in rounds of N (a share of new exercises, the rest notices of
      exercises published before), sampled after each round, with a linear fit per N notices;
  (d) per account, in a second Home Assistant: 1, 10 and 100 accounts signed in, each with the
      simulator's day (every kind has data), divided by the accounts.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine, Sequence
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp

from scripts.bench_run import (
    CLIENT_ID,
    CLIENT_SECRET,
    START_TIMEOUT,
    Bench,
    configuration as bench_configuration,
    fire,
    machine,
    notice_bodies,
    rss_kib,
)
from scripts.harness import (
    HomeAssistantApi,
    SimControl,
    ensure_application_credentials,
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

EVENT = "polar_flow_exercise"
T0 = time.monotonic()
GROUPS = ("polar_flow", "homeassistant", "recorder", "bench", "other")

PROBE_MANIFEST = {
    "domain": "bench_memory",
    "name": "Benchmark memory probe",
    "codeowners": [],
    "dependencies": ["websocket_api"],
    "documentation": "https://example.invalid",
    "iot_class": "local_push",
    "requirements": [],
    "version": "0.0.1",
}
# The probe runs inside hass. Snapshots are reduced to bytes per file at once, so what the probe
# keeps between commands is a few kilobytes, not the traces.
PROBE_INIT = '''"""Bench-only probe: tracemalloc by file, baseline events, data sizes."""

import asyncio
import gc
import sys
import tracemalloc
import types

import voluptuous as vol

from homeassistant.components import websocket_api
from homeassistant.core import callback

DOMAIN = "bench_memory"
BASELINE_EVENT = "bench_memory_exercise"
_FILES = {}
_CAUSED = {}


def _group(filename):
    name = filename.replace("\\\\", "/")
    if "/custom_components/polar_flow/" in name:
        return "polar_flow"
    if "/custom_components/bench_memory/" in name:
        return "bench"
    if "/homeassistant/components/recorder/" in name or "/sqlalchemy/" in name:
        return "recorder"
    if "/homeassistant/" in name:
        return "homeassistant"
    return "other"


def _short(filename):
    name = filename.replace("\\\\", "/")
    for marker in ("/site-packages/", "/custom_components/", "/lib/python"):
        if marker in name:
            return name.split(marker, 1)[1]
    return name


def _snapshot():
    """Return (bytes and blocks by file, bytes by the first group found up the traceback)."""
    gc.collect()
    snap = tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__))
    )
    files = {}
    caused = dict.fromkeys(("polar_flow", "bench"), 0)
    for stat in snap.statistics("traceback"):
        inner = stat.traceback[-1].filename
        size, count = files.get(inner, (0, 0))
        files[inner] = (size + stat.size, count + stat.count)
        groups = {_group(frame.filename) for frame in stat.traceback}
        for group in caused:
            if group in groups:
                caused[group] += stat.size
    return files, caused


def _deep_size(root):
    """Return the bytes of root and everything it reaches, not types, modules or functions."""
    skip = (type, types.ModuleType, types.FunctionType, types.MethodType, types.CodeType)
    seen = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip) or obj is None:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


@websocket_api.websocket_command(
    {vol.Required("type"): "bench_memory/start", vol.Optional("frames", default=10): int}
)
@callback
def _ws_start(hass, connection, msg):
    if not tracemalloc.is_tracing():
        tracemalloc.start(msg["frames"])
    connection.send_result(msg["id"], {"frames": tracemalloc.get_traceback_limit()})


@websocket_api.websocket_command(
    {
        vol.Required("type"): "bench_memory/snapshot",
        vol.Required("name"): str,
        vol.Optional("compare_to"): str,
        vol.Optional("top", default=20): int,
    }
)
@websocket_api.async_response
async def _ws_snapshot(hass, connection, msg):
    await asyncio.sleep(0)
    files, caused = _snapshot()
    _FILES[msg["name"]], _CAUSED[msg["name"]] = files, caused
    current, peak = tracemalloc.get_traced_memory()
    groups = dict.fromkeys(("polar_flow", "homeassistant", "recorder", "bench", "other"), 0)
    for filename, (size, _) in files.items():
        groups[_group(filename)] += size
    result = {
        "traced": current,
        "peak": peak,
        "tracemalloc_overhead": tracemalloc.get_tracemalloc_memory(),
        "groups": groups,
        "caused": caused,
    }
    if (base := msg.get("compare_to")) is not None:
        before, before_caused = _FILES[base], _CAUSED[base]
        diff = []
        for filename in set(files) | set(before):
            size, count = files.get(filename, (0, 0))
            size0, count0 = before.get(filename, (0, 0))
            if size != size0 or count != count0:
                diff.append((size - size0, count - count0, filename))
        diff.sort(reverse=True)
        result["top"] = [
            {"file": _short(name), "group": _group(name), "bytes": size, "blocks": count}
            for size, count, name in diff[: msg["top"]]
        ]
        result["integration_files"] = [
            {"file": _short(name), "bytes": size, "blocks": count}
            for size, count, name in diff
            if _group(name) == "polar_flow"
        ]
        growth = dict.fromkeys(groups, 0)
        for size, _, name in diff:
            growth[_group(name)] += size
        result["growth"] = growth
        result["caused_growth"] = {key: caused[key] - before_caused[key] for key in caused}
    connection.send_result(msg["id"], result)


@websocket_api.websocket_command(
    {
        vol.Required("type"): "bench_memory/fire",
        vol.Required("count"): int,
        vol.Required("data"): dict,
        vol.Optional("rate", default=0.0): vol.Coerce(float),
    }
)
@websocket_api.async_response
async def _ws_fire(hass, connection, msg):
    template, started = msg["data"], hass.loop.time()
    for i in range(msg["count"]):
        data = dict(template)
        data["exercise_id"] = f"{i:08x}"
        hass.bus.async_fire(BASELINE_EVENT, data)
        if i % 100 == 99:
            delay = started + (i + 1) / msg["rate"] - hass.loop.time() if msg["rate"] else 0
            await asyncio.sleep(max(0.0, delay))
    connection.send_result(msg["id"], {"fired": msg["count"]})


@websocket_api.websocket_command({vol.Required("type"): "bench_memory/accounts"})
@websocket_api.async_response
async def _ws_accounts(hass, connection, msg):
    gc.collect()
    accounts = []
    for entry in hass.config_entries.async_loaded_entries("polar_flow"):
        coordinator = entry.runtime_data.coordinator
        ledger, history, fetcher = coordinator.ledger, coordinator.history, coordinator.fetcher
        parts = {
            "history": getattr(history, "_items", None),
            "ledger_seen": getattr(ledger, "_seen", None),
            "ledger_tracked": getattr(ledger, "_remembered_at", None),
            "fetcher": [getattr(fetcher, name, None) for name in ("_in_flight", "_asking",
                                                                  "_tasks", "_timers")],
        }
        accounts.append(
            {
                "user_id": coordinator.user_id,
                "history_items": sum(history.counts().values()),
                "history_by_kind": history.counts(),
                "bytes": {key: _deep_size(value) for key, value in parts.items()},
                "published": {key: stats.published for key, stats in coordinator.stats.items()},
            }
        )
    connection.send_result(msg["id"], {"accounts": accounts})


@websocket_api.websocket_command(
    {vol.Required("type"): "bench_memory/published", vol.Required("ids"): [str]}
)
@callback
def _ws_published(hass, connection, msg):
    from custom_components.polar_flow.kinds import KINDS

    exercise, ids = KINDS["exercise"], set(msg["ids"])
    seen, published = set(), 0
    for entry in hass.config_entries.async_loaded_entries("polar_flow"):
        coordinator = entry.runtime_data.coordinator
        published += coordinator.stats["exercise"].published
        seen |= {key for key in ids if coordinator.ledger.was_seen(exercise, key)}
    connection.send_result(msg["id"], {"seen": len(seen), "published": published})


async def async_setup(hass, config):
    for command in (_ws_start, _ws_snapshot, _ws_fire, _ws_accounts, _ws_published):
        websocket_api.async_register_command(hass, command)
    return True
'''


def configuration(port: int) -> str:
    """Return configuration.yaml: the bench's, with the memory probe."""
    return bench_configuration(port, name="Polar Flow memory bench", probe="bench_memory")


class MemoryBench(Bench):
    """bench_run's Home Assistant and simulator, with the memory probe instead of its baseline."""

    def __init__(self, root: Path, accounts: int, first_user: int) -> None:
        """Prepare paths; accounts are numbered from first_user."""
        super().__init__(root, accounts)
        self.accounts = [first_user + i for i in range(accounts)]

    def start_processes(self) -> None:
        """Start the simulator and hass with the probe."""
        unlimited = "100000000,0"
        args = [
            "--quiet",
            "--seed",
            "3",
            "--retry-delays",
            "0.5,1,2",
            "--short-limit",
            unlimited,
            "--long-limit",
            unlimited,
            "--push-concurrency",
            "64",
        ]
        self.sim_proc, self.sim_url = start_simulator(self.root / "sim.log", extra_args=args)
        config = self.root / "config"
        config.mkdir()
        (config / "configuration.yaml").write_text(configuration(self.port))
        write_http_config(config, self.port)
        link_integration(config)
        probe = config / "custom_components" / "bench_memory"
        probe.mkdir(parents=True)
        (probe / "manifest.json").write_text(json.dumps(PROBE_MANIFEST))
        (probe / "__init__.py").write_text(PROBE_INIT)
        write_partial_onboarding(config)
        self.hass = start_hass(config, self.root / "hass.log", env=integration_env(self.sim_url))

    async def open(self, session: aiohttp.ClientSession) -> tuple[HomeAssistantApi, SimControl]:
        """Onboard and store the simulator's client, without signing any account in."""
        assert self.hass is not None
        sim = SimControl(session, self.sim_url)
        await sim.ensure_client(
            CLIENT_ID, CLIENT_SECRET, [f"{self.hass_url}/auth/external/callback"], "bench"
        )
        await sim.call("PATCH", f"/clients/{CLIENT_ID}", {"auto_approve": True})
        await wait_http(session, f"{self.hass_url}/api/onboarding", self.hass, START_TIMEOUT)
        tokens = await onboard_owner(session, self.hass_url, "Bench", "bench", "bench")
        api = HomeAssistantApi(session, self.hass_url, tokens.access_token)
        await wait_running(api, self.hass, START_TIMEOUT)
        async with await api.websocket() as ws:
            await ensure_application_credentials(ws, CLIENT_ID, CLIENT_SECRET, "bench")
            # The onboarding's access token lasts 30 minutes; the full run takes longer.
            api.token = await ws.command(
                "auth/long_lived_access_token", client_name="bench memory", lifespan=1
            )
        return api, sim

    async def add_accounts(self, api: HomeAssistantApi, sim: SimControl, users: list[int]) -> None:
        """Sign users in, every kind on at their device (SleepWise, biosensing)."""
        for user_id in users:
            await sim.ensure_user(user_id, f"U{user_id}", "Bench")
            await sim.set_device(user_id, sleepwise=True, biosensing=True)
            done = await sign_in(api, polar_user=user_id)
            if done.result.get("type") != "create_entry":
                raise RuntimeError(f"sign-in of {user_id} failed: {done.result}")
            self.entries.append(done.result["result"]["entry_id"])

    async def wait_webhook(self, sim: SimControl) -> None:
        """Wait until the integration registered its webhook; keep its secret and URL."""
        for _ in range(300):
            hook = (await sim.client(CLIENT_ID)).get("webhook")
            if hook and hook.get("active") and hook.get("secret"):
                self.secret, self.webhook_url = hook["secret"], hook["url"]
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the integration did not register its webhook")


class Probe:
    """The probe's websocket commands, and the hass process's RSS.

    Each command on a connection of its own: a loop held for minutes by a burst may miss the
    websocket's heartbeat, and Home Assistant then closes the connection.
    """

    def __init__(self, api: HomeAssistantApi, pid: int) -> None:
        """Bind the REST API (for its token) and the hass pid."""
        self.api = api
        self.pid = pid

    async def command(self, command: str, **payload: Any) -> Any:
        """Run one of the probe's commands."""
        async with await self.api.websocket() as ws:
            return await ws.command(command, within=600, **payload)

    async def start(self, frames: int) -> None:
        """Start tracemalloc in hass."""
        await self.command("bench_memory/start", frames=frames)

    async def sample(self, name: str, compare_to: str | None = None) -> dict[str, Any]:
        """Take a snapshot (after gc) and RSS; with compare_to, the growth by file since then."""
        extra = {"compare_to": compare_to} if compare_to else {}
        result: dict[str, Any] = await self.command("bench_memory/snapshot", name=name, **extra)
        result["rss_kib"] = rss_kib(self.pid)
        # RSS without what tracemalloc itself holds (its traces grow with the heap).
        result["rss_net_kib"] = result["rss_kib"] - result["tracemalloc_overhead"] // 1024
        return result

    async def published(self, ids: list[str]) -> dict[str, int]:
        """Return how many of these exercises were published, and all exercises published."""
        result: dict[str, int] = await self.command("bench_memory/published", ids=ids)
        return result

    async def wait_published(self, ids: list[str], limit: float) -> dict[str, int]:
        """Wait until every exercise was published (or limit seconds); return the counts."""
        deadline = time.monotonic() + limit
        while (found := await self.published(ids))["seen"] < len(ids):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        return found

    async def accounts(self) -> list[dict[str, Any]]:
        """Return each account's data sizes."""
        result: dict[str, Any] = await self.command("bench_memory/accounts")
        accounts: list[dict[str, Any]] = result["accounts"]
        return accounts


def session_for_load() -> aiohttp.ClientSession:
    """Return a session without a total timeout: under tracemalloc a burst may take minutes."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128), timeout=timeout)


def log(message: str) -> None:
    """Tell what the bench is doing, on stderr."""
    print(f"[{time.monotonic() - T0:7.1f} s] {message}", file=sys.stderr, flush=True)


def fit(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return the least-squares slope of ys over xs."""
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else None


def data_bytes(accounts: list[dict[str, Any]]) -> dict[str, int]:
    """Return the bytes of each part of the accounts' data, summed."""
    total: dict[str, int] = {}
    for account in accounts:
        for key, value in account["bytes"].items():
            total[key] = total.get(key, 0) + value
    total["history_items"] = sum(a["history_items"] for a in accounts)
    return total


def growth_row(sample: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Return what grew between two samples: groups, RSS, net RSS."""
    return {
        "groups": sample["growth"],
        "caused": sample["caused_growth"],
        "rss_kib": sample["rss_kib"] - before["rss_kib"],
        "rss_net_kib": sample["rss_net_kib"] - before["rss_net_kib"],
        "top": sample["top"],
        "integration_files": sample["integration_files"],
    }


async def run_notices(args: argparse.Namespace, root: Path) -> dict[str, Any]:  # noqa: PLR0915
    """Run (a), (b) and (c) in one Home Assistant."""
    n, settle = args.notices, args.settle
    bench = MemoryBench(root / "notices", args.accounts, 10000001)
    bench.root.mkdir()
    results: dict[str, Any] = {"accounts": args.accounts, "notices": n}
    bench.start_processes()
    try:
        async with session_for_load() as session:
            api, sim = await bench.open(session)
            assert bench.hass is not None
            await bench.add_accounts(api, sim, bench.accounts)
            await bench.wait_webhook(sim)
            probe = Probe(api, bench.hass.pid)
            await probe.start(args.frames)

            # Counted by the probe, not over a subscription: under a burst on two shared cores
            # Home Assistant drops a websocket client that falls behind.
            async def notices(items: list[tuple[int, str]], new: list[str]) -> dict[str, Any]:
                before = (await probe.published([]))["published"]
                sent = await fire(
                    session,
                    bench.webhook_url,
                    notice_bodies(bench.sim_url, items),
                    bench.secret,
                    args.rate,
                )
                found = await probe.wait_published(new, max(120.0, len(items) / 20))
                return {
                    "sent": sent,
                    "new": len(new),
                    "lost": len(new) - found["seen"],
                    "duplicated": found["published"] - before - found["seen"],
                }

            # Warm-up: first-time allocations (imports, caches) are not growth; one event's data
            # is the baseline's template.
            warm = await bench.exercises(sim, args.warmup)
            async with await api.websocket() as once:
                queue = await once.subscribe_events(EVENT)
                await notices(warm, [ex for _, ex in warm])
                template = (await asyncio.wait_for(queue.get(), 30))["data"]
            await asyncio.sleep(settle)

            log(f"(a) baseline: {n} bus events")
            # (a) baseline: the same number of bus events, the same data, from the probe.
            a0 = await probe.sample("a0")
            await probe.command("bench_memory/fire", count=n, data=template)
            await asyncio.sleep(settle)
            a1 = await probe.sample("a1", "a0")
            results["baseline"] = growth_row(a1, a0)
            results["event_data_bytes"] = len(json.dumps(template))

            log(f"(b) integration: {n} notices")
            # (b) the integration: n notices of new exercises.
            items = await bench.exercises(sim, n)
            pool = list(items)
            d0 = data_bytes(await probe.accounts())
            b0 = await probe.sample("b0")
            burst = await notices(items, [ex for _, ex in items])
            await asyncio.sleep(settle)
            b1 = await probe.sample("b1", "b0")
            d1 = data_bytes(await probe.accounts())
            results["integration"] = {
                **growth_row(b1, b0),
                **burst,
                "data": {k: d1[k] - d0.get(k, 0) for k in d1},
            }

            # (c) flat: rounds of n notices, a share of them new exercises.
            samples = [
                {"notices": n, **growth_row(b1, b0), "data": {k: d1[k] - d0.get(k, 0) for k in d1}}
            ]
            total, k = n, 0
            while total < args.flat:
                k += 1
                fresh = await bench.exercises(sim, min(args.flat_new, n))
                replay = [pool[(k * n + i) % len(pool)] for i in range(n - len(fresh))]
                pool.extend(fresh)
                row = await notices(fresh + replay, [ex for _, ex in fresh])
                total += n
                await asyncio.sleep(settle)
                sample = await probe.sample(f"c{k}", "b0")
                data = data_bytes(await probe.accounts())
                samples.append(
                    {
                        "notices": total,
                        **growth_row(sample, b0),
                        "round": row,
                        "data": {key: data[key] - d0.get(key, 0) for key in data},
                    }
                )
                log(
                    f"(c) flat: {total} notices, integration files "
                    f"{mb(sample['growth']['polar_flow'])} MB"
                )
            results["flat"] = flat_summary(samples, n)
    finally:
        bench.stop()
    return results


def flat_summary(samples: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Return the samples and linear fits (bytes per n notices) of what grew."""
    xs = [s["notices"] / n for s in samples]

    def slope(values: list[float]) -> float | None:
        found = fit(xs, values)
        return None if found is None else round(found)

    own = [float(s["groups"]["polar_flow"]) for s in samples]
    data = [float(s["data"].get("history", 0) + s["data"].get("ledger_seen", 0)) for s in samples]
    return {
        "samples": [{k: v for k, v in s.items() if k not in ("top",)} for s in samples],
        "per_notices": n,
        "slope_bytes": {
            "integration_files": slope(own),
            "integration_caused": slope([float(s["caused"]["polar_flow"]) for s in samples]),
            "data_history_and_seen": slope(data),
            "integration_files_minus_data": slope([o - d for o, d in zip(own, data, strict=True)]),
            "ledger_tracked": slope([float(s["data"].get("ledger_tracked", 0)) for s in samples]),
            "traced_total": slope([float(sum(s["groups"].values())) for s in samples]),
            "rss_net": slope([float(s["rss_net_kib"] * 1024) for s in samples]),
        },
    }


async def run_accounts(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Run (d): memory per account with every kind on, in a Home Assistant of its own."""
    steps = sorted(args.account_steps)
    bench = MemoryBench(root / "accounts", 0, 20000001)
    bench.root.mkdir()
    rows: list[dict[str, Any]] = []
    bench.start_processes()
    try:
        async with session_for_load() as session:
            api, sim = await bench.open(session)
            assert bench.hass is not None
            probe = Probe(api, bench.hass.pid)
            await probe.start(args.frames)
            await asyncio.sleep(args.settle)
            first = await probe.sample("d0")
            signed: list[int] = []
            for step in steps:
                log(f"(d) {step} accounts")
                users = [20000001 + i for i in range(len(signed), step)]
                await bench.add_accounts(api, sim, users)
                signed.extend(users)
                await bench.wait_webhook(sim)
                exercises = []
                for user_id in users:
                    day = await sim.simulated_day(user_id)
                    exercises.append(str(day["exercise"]["id"]))
                found = await probe.wait_published(exercises, 120)
                # Notices beyond the client's pending bound are caught up by a listing 15 s later.
                await asyncio.sleep(args.catch_up)
                sample = await probe.sample(f"d{step}", "d0")
                accounts = await probe.accounts()
                data = data_bytes(accounts)
                grown = growth_row(sample, first)
                rows.append(
                    {
                        "accounts": step,
                        "rss_kib": grown["rss_kib"],
                        "rss_net_kib": grown["rss_net_kib"],
                        "groups": grown["groups"],
                        "caused": grown["caused"],
                        "integration_files": grown["integration_files"],
                        "data": data,
                        "lost_exercises": len(exercises) - found["seen"],
                    }
                )
    finally:
        bench.stop()
    return {"steps": rows}


def log_errors(root: Path) -> list[str]:
    """Return the errors both Home Assistants logged."""
    return [
        line
        for log in sorted(root.glob("*/hass.log"))
        for line in log.read_text(errors="replace").splitlines()
        if " ERROR " in line or " CRITICAL " in line
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement and return the results."""
    root = Path(tempfile.mkdtemp(prefix="polar-bench-memory-"))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["scripts/bench --memory", *sys.argv[1:]]),
        "frames": args.frames,
    }
    try:
        runs: dict[str, Coroutine[Any, Any, dict[str, Any]]] = {}
        if args.notices:
            runs["notices"] = run_notices(args, root)
        if args.account_steps:
            runs["per_account"] = run_accounts(args, root)
        if args.smoke:
            # Tiny counts: the two Home Assistants start side by side, the figures mean nothing.
            results.update(zip(runs, await asyncio.gather(*runs.values()), strict=True))
        else:
            for key, measure in runs.items():
                results[key] = await measure
                # What is measured is kept, should a later run fail.
                text = json.dumps(results, indent=2) + "\n"
                await asyncio.to_thread(Path(args.out).write_text, text)
        errors = log_errors(root)
        results["hass_log_errors"] = errors[:20]
        results["integration_log_errors"] = [e for e in errors if "[custom_components." in e]
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    results["work_dir"] = str(root) if args.keep else None
    return results


def mb(value: float) -> str:
    """Format bytes as signed megabytes."""
    return f"{value / 1e6:+.2f}"


def table(results: dict[str, Any]) -> str:
    """Format the results for a terminal."""
    m = results["machine"]
    lines = [
        (
            f"machine: {m['nproc']} cores, {m['cpu_model']}, {m['ram_gib']} GiB RAM; "
            f"tracemalloc {results['frames']} frames; MB = 10^6 bytes"
        )
    ]
    if notices := results.get("notices"):
        n = notices["notices"]
        base, integ = notices["baseline"], notices["integration"]
        lines += [
            "",
            (
                f"growth after {n} (baseline: bus events, {notices['event_data_bytes']} B of JSON; "
                f"integration: notices, {notices['accounts']} accounts)"
            ),
            f"{'':<22} {'baseline':>10} {'integration':>12}",
        ]
        for group in GROUPS:
            lines.append(
                f"{group + ' files':<22} {mb(base['groups'][group]):>10} "
                f"{mb(integ['groups'][group]):>12}"
            )
        lines.append(
            f"{'traced, all files':<22} {mb(sum(base['groups'].values())):>10} "
            f"{mb(sum(integ['groups'].values())):>12}"
        )
        lines.append(
            f"{'RSS':<22} {mb(base['rss_kib'] * 1024):>10} {mb(integ['rss_kib'] * 1024):>12}"
        )
        lines.append(
            f"{'RSS net of tracemalloc':<22} {mb(base['rss_net_kib'] * 1024):>10} "
            f"{mb(integ['rss_net_kib'] * 1024):>12}"
        )
        lines.append(
            f"{'caused (any frame)':<22} {mb(base['caused']['bench']):>10} "
            f"{mb(integ['caused']['polar_flow']):>12}"
        )
        data = integ["data"]
        items = max(1, data.get("history_items", 0))
        lines += [
            "",
            (
                f"integration's own growth: {mb(integ['groups']['polar_flow'])} MB in its files; "
                f"published {n - integ['lost']}/{n} (lost {integ['lost']}, "
                f"dup {integ['duplicated']})"
            ),
            (
                f"  of which data kept by design: history {mb(data.get('history', 0))} MB "
                f"({data.get('history_items', 0)} items, "
                f"{data.get('history', 0) / items:.0f} B each),"
                f" ledger seen {mb(data.get('ledger_seen', 0))} MB (45 days), ledger tracked "
                f"{mb(data.get('ledger_tracked', 0))} MB"
            ),
            "",
            "top files by growth (integration run)",
        ]
        for row in integ["top"][:15]:
            lines.append(
                f"  {mb(row['bytes']):>8} MB {row['blocks']:>+8} blocks  "
                f"{row['group']:<13} {row['file']}"
            )
        lines.append("integration's files (integration run)")
        for row in integ["integration_files"][:12]:
            lines.append(f"  {mb(row['bytes']):>8} MB {row['blocks']:>+8} blocks  {row['file']}")
        lines.append("top files by growth (baseline run)")
        for row in base["top"][:8]:
            lines.append(
                f"  {mb(row['bytes']):>8} MB {row['blocks']:>+8} blocks  "
                f"{row['group']:<13} {row['file']}"
            )
        flat = notices["flat"]
        lines += [
            "",
            (
                f"flat (growth since before the integration run, MB; fits per "
                f"{flat['per_notices']} notices)"
            ),
            (
                f"{'notices':>8} {'new':>6} {'integ':>8} {'data':>8} {'rest':>8} {'traced':>8} "
                f"{'RSS net':>8}"
            ),
        ]
        for s in flat["samples"]:
            data_now = s["data"].get("history", 0) + s["data"].get("ledger_seen", 0)
            new = s.get("round", {}).get("new", n)
            lines.append(
                f"{s['notices']:>8} {new:>6} {mb(s['groups']['polar_flow']):>8} "
                f"{mb(data_now):>8} {mb(s['groups']['polar_flow'] - data_now):>8} "
                f"{mb(sum(s['groups'].values())):>8} {mb(s['rss_net_kib'] * 1024):>8}"
            )
        slopes = ", ".join(
            f"{k} {mb(v) if v is not None else 'n/a'}" for k, v in flat["slope_bytes"].items()
        )
        lines.append(f"slopes (MB per {flat['per_notices']}): {slopes}")
    if per := results.get("per_account"):
        lines += [
            "",
            "per account, every kind on (growth since no account; MB per account)",
            (
                f"{'accounts':>8} {'integ':>8} {'caused':>8} {'history':>8} {'traced':>8} "
                f"{'RSS net':>8} {'RSS':>8} {'items':>6}"
            ),
        ]
        for row in per["steps"]:
            k = row["accounts"]
            lines.append(
                f"{k:>8} {mb(row['groups']['polar_flow'] / k):>8} "
                f"{mb(row['caused']['polar_flow'] / k):>8} "
                f"{mb(row['data'].get('history', 0) / k):>8} "
                f"{mb(sum(row['groups'].values()) / k):>8} {mb(row['rss_net_kib'] * 1024 / k):>8} "
                f"{mb(row['rss_kib'] * 1024 / k):>8} {row['data']['history_items'] // k:>6}"
            )
        steps = per["steps"]
        if len(steps) > 1:
            lo, hi = steps[-2], steps[-1]
            added = hi["accounts"] - lo["accounts"]
            lines.append(
                f"marginal ({lo['accounts']} -> {hi['accounts']}): integration "
                f"{mb((hi['groups']['polar_flow'] - lo['groups']['polar_flow']) / added)} MB, "
                f"traced {mb((sum(hi['groups'].values()) - sum(lo['groups'].values())) / added)}"
                f" MB, RSS net {mb((hi['rss_net_kib'] - lo['rss_net_kib']) * 1024 / added)} MB"
                " per account"
            )
    lines.append(
        f"hass log errors: {len(results['hass_log_errors'])} (integration: "
        f"{len(results['integration_log_errors'])}); wall {results['wall_seconds']} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print and write the results."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench --memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds, not minutes")
    parser.add_argument("--notices", type=int, default=10000, help="per run and round (10000)")
    parser.add_argument("--flat", type=int, default=100000, help="notices of run (c) (100000)")
    parser.add_argument(
        "--flat-new",
        type=int,
        default=1000,
        help="new exercises per round of (c); the rest are earlier ones (1000)",
    )
    parser.add_argument("--accounts", type=int, default=3, help="accounts of (a)-(c) (3)")
    parser.add_argument("--account-steps", default="1,10,100", help="accounts of (d) ('' skips)")
    parser.add_argument("--rate", type=float, default=0.0, help="notices/s (0: 64 connections)")
    parser.add_argument("--warmup", type=int, default=200, help="notices before measuring (200)")
    parser.add_argument("--frames", type=int, default=10, help="tracemalloc frames (10)")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds before a sample (8)")
    parser.add_argument(
        "--catch-up",
        type=float,
        default=20.0,
        help="seconds after a step of (d): dropped notices are listed 15 s later",
    )
    parser.add_argument("--out", default="bench-memory.json", help="JSON output path")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (config, logs)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.notices, args.flat, args.flat_new, args.accounts = 40, 80, 10, 1
        args.account_steps, args.warmup, args.settle, args.catch_up = "1,2", 5, 1.0, 1.0
    args.account_steps = [int(s) for s in str(args.account_steps).split(",") if s.strip()]
    results = asyncio.run(run(args))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
