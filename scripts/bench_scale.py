"""Scale benchmark: one AccessLink client, 1,000 accounts, a simulated day, in simulated time.

Run through `scripts/bench --scale` (see docs/benchmarks.md, "Scale"). What is real and what is
modelled:

- Real: the integration's ClientScheduler (scheduler.py) and RateBudget (accesslink/budget.py),
  unchanged: lanes, per-account limits, the reserve for pushes, the pacing of background work,
  the headers adopted after each answer, the 429 wait. The simulator's RateLimiter
  (accesslink_sim/ratelimit.py): Polar's per-client windows and RateLimit-* headers, parsed by
  the integration's RateLimit.from_headers.
- Simulated: time (an asyncio loop whose clock jumps to the next timer instead of sleeping);
  the requests of each account, from the integration's declarations (KINDS: which kinds every
  reconcile lists, which once a day; RECONCILE_INTERVAL; the backfill's ranges, one at a time,
  PAUSE apart) and the day measured in tests/faults/test_budget.py (docs/requests.md); the API's
  round trip (a fixed --rtt); Home Assistant's own work after an answer (not counted).

Push-to-event latency here is the scheduler's wait plus the round trip; the figure that matters
is the wait ("above the API's own round trip").
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import math
from pathlib import Path
import random
import selectors
import sys
import time
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from accesslink_sim.config import RateLimitConfig
from accesslink_sim.ratelimit import RateLimiter
from custom_components.polar_flow import scheduler as scheduler_module
from custom_components.polar_flow.accesslink import RateLimit
from custom_components.polar_flow.accesslink.budget import Lane, formula_limits
from custom_components.polar_flow.backfill import PAUSE, START_DELAY
from custom_components.polar_flow.const import POLL_INTERVAL, RECONCILE_INTERVAL
from custom_components.polar_flow.kinds import KINDS

DAY = 86400.0
CLIENT = "scale-client"
# A day of pushes per account, as measured (docs/requests.md): (lane, label, hour range).
# Each fetch of a pushed item is one PUSH request; Nightly Recharge and cardio load follow.
PUSHED_DAY: tuple[tuple[str, float, float], ...] = (
    ("sleep", 5.5, 8.5),
    ("sleepwise_alertness", 5.5, 8.5),
    ("sleepwise_circadian_bedtime", 5.5, 8.5),
    ("activity", 8.0, 10.0),
    ("exercise", 6.0, 21.0),
    ("activity", 12.0, 15.0),
    ("sleepwise_alertness", 12.0, 14.0),
    ("sleepwise_circadian_bedtime", 12.0, 14.0),
    ("continuous_heart_rate", 21.0, 23.0),
    ("physical_information", 7.0, 22.0),
)
FOLLOW_UPS = {"exercise": "cardio_load", "sleep": "nightly_recharge"}
# The backfill's deep listings per account (tests/faults/test_backfill_budget.py).
BACKFILL_REQUESTS = 15


class VirtualSelector(selectors.DefaultSelector):
    """A selector that, with nothing ready, moves the clock to the next timer instead of waiting."""

    def __init__(self) -> None:
        """Start the clock at zero."""
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[Any]:
        """Return what is ready now; otherwise jump ahead by the timeout."""
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("nothing left to wait for")
        self.now += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop in simulated time."""

    def __init__(self) -> None:
        """Use the virtual selector's clock."""
        self.selector = VirtualSelector()
        super().__init__(self.selector)

    def time(self) -> float:
        """Return the simulated time in seconds."""
        return self.selector.now


class StubClient:
    """An account's AccessLink client as the scheduler sees it: the latest headers."""

    def __init__(self) -> None:
        """No answer yet."""
        self.rate_limit: RateLimit | None = None


@dataclass
class Stats:
    """What the run measured."""

    requests: Counter[tuple[int, str]] = field(default_factory=Counter)
    by_lane: Counter[Lane] = field(default_factory=Counter)
    limited: int = 0
    push_waits: list[float] = field(default_factory=list)
    push_waits_backfill: list[float] = field(default_factory=list)
    backfills_running: int = 0
    backfill_done_at: list[float] = field(default_factory=list)
    reconcile_spans: list[float] = field(default_factory=list)
    polls: Counter[int] = field(default_factory=Counter)


class World:
    """The simulator's limits, the accounts' clients and the one scheduler of their client."""

    def __init__(self, accounts: int, rtt: float, epoch: float, stats: Stats) -> None:
        """Build the world at simulated time zero (epoch in wall seconds)."""
        self.loop = asyncio.get_running_loop()
        self.epoch = epoch
        self.rtt = rtt
        self.stats = stats
        self.limiter = RateLimiter(RateLimitConfig())
        self.accounts = accounts
        hass = SimpleNamespace(
            loop=self.loop, async_run_hass_job=lambda job, *args: job.target(*args)
        )
        self.scheduler = scheduler_module.ClientScheduler(hass, lambda: accounts)  # type: ignore[arg-type]
        self.users = [SimpleNamespace(user_id=n, client=StubClient()) for n in range(accounts)]

    def now(self) -> float:
        """Return the simulated wall time in epoch seconds."""
        return self.epoch + self.loop.time()

    async def request(self, account: int, lane: Lane, what: str) -> float:
        """Take a turn, make one request, count it; return the wait for the turn."""
        user = self.users[account]
        asked = self.loop.time()
        turn = await self.scheduler.async_take(lane, user)  # type: ignore[arg-type]
        waited = self.loop.time() - asked
        with turn:
            await asyncio.sleep(self.rtt / 2)
            verdict = self.limiter.hit(CLIENT, self.accounts, self.now())
            await asyncio.sleep(self.rtt / 2)
            user.client.rate_limit = RateLimit.from_headers(verdict.headers)
        self.stats.requests[(account, what)] += 1
        self.stats.by_lane[lane] += 1
        if not verdict.allowed:
            self.stats.limited += 1
            self.scheduler.async_rate_limited(60)
        return waited


async def reconciles(world: World, account: int, until: float, interval: float) -> None:
    """List every kind due, one after another, every interval after the last one ended."""
    every = [k.key for k in KINDS.values() if k.list_every is None]
    daily = [k.key for k in KINDS.values() if k.list_every is not None]
    listed_daily = -math.inf
    while world.loop.time() < until:
        started = world.loop.time()
        kinds = list(every)
        if started - listed_daily >= DAY:
            kinds += daily
            listed_daily = started
        for kind in kinds:
            await world.request(account, Lane.CATCH_UP, f"list {kind}")
        world.stats.reconcile_spans.append(world.loop.time() - started)
        world.stats.polls[account] += 1
        await asyncio.sleep(max(0.0, started + interval - world.loop.time()))


async def pushed(world: World, account: int, kind: str, at: float, backfill_window: bool) -> None:
    """Fetch an item Polar pushed at `at`, then the kind following it."""
    await asyncio.sleep(max(0.0, at - world.loop.time()))
    waited = await world.request(account, Lane.PUSH, f"fetch {kind}")
    world.stats.push_waits.append(waited)
    if backfill_window and world.stats.backfills_running:
        world.stats.push_waits_backfill.append(waited)
    if follower := FOLLOW_UPS.get(kind):
        await world.request(account, Lane.FOLLOW_UP, f"fetch {follower}")


async def backfill(world: World, account: int, start: float) -> None:
    """List an account's history, one range at a time, PAUSE apart."""
    await asyncio.sleep(max(0.0, start + START_DELAY - world.loop.time()))
    world.stats.backfills_running += 1
    for _ in range(BACKFILL_REQUESTS):
        await world.request(account, Lane.BACKFILL, "backfill")
        await asyncio.sleep(PAUSE)
    world.stats.backfills_running -= 1
    world.stats.backfill_done_at.append(world.loop.time() - start)


async def scenario(args: argparse.Namespace, *, push: bool) -> dict[str, Any]:
    """Run one simulated day (push working) or hours of polling (push down)."""
    loop = asyncio.get_running_loop()
    epoch = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
    stats = Stats()
    world = World(args.accounts, args.rtt, epoch, stats)
    rng = random.Random(args.seed)
    length = DAY if push else args.poll_hours * 3600
    interval = RECONCILE_INTERVAL.total_seconds() if push else POLL_INTERVAL.total_seconds()
    tasks = [loop.create_task(reconciles(world, n, length, interval)) for n in range(args.accounts)]
    if push:
        for n in range(args.accounts):
            for kind, first, last in PUSHED_DAY:
                at = rng.uniform(first, last) * 3600
                tasks.append(loop.create_task(pushed(world, n, kind, at, backfill_window=True)))
        start = args.backfill_at * 3600
        tasks += [loop.create_task(backfill(world, n, start)) for n in range(args.backfills)]
    wall = time.perf_counter()
    await asyncio.gather(*tasks)
    result = summarise(args, stats, world, push=push, length=length)
    result["wall_seconds"] = round(time.perf_counter() - wall, 1)
    return result


def pct(values: list[float], q: float) -> float | None:
    """Return the q-th percentile (nearest rank) or None."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def summarise(
    args: argparse.Namespace, stats: Stats, world: World, *, push: bool, length: float
) -> dict[str, Any]:
    """Return the figures of one scenario."""
    per_what: Counter[str] = Counter()
    for (_, what), count in stats.requests.items():
        per_what[what] += count
    total = sum(per_what.values())
    out: dict[str, Any] = {
        "scenario": "push, one day" if push else f"push down, {args.poll_hours} h of polling",
        "accounts": args.accounts,
        "hours": length / 3600,
        "requests": total,
        "requests_per_account": round(total / args.accounts, 2),
        "per_account_by_request": {
            what: round(n / args.accounts, 3) for what, n in sorted(per_what.items())
        },
        "by_lane": {lane.name.lower(): stats.by_lane[lane] for lane in Lane},
        "http_429": stats.limited,
        "limits": list(formula_limits(args.accounts)),
        "budget_seen": world.scheduler.diagnostics(),
    }
    if push:
        waits = stats.push_waits_backfill
        out["push_wait_s"] = {
            "all_p50": pct(stats.push_waits, 50),
            "all_p99": pct(stats.push_waits, 99),
            "all_max": pct(stats.push_waits, 100),
            "during_backfill_n": len(waits),
            "during_backfill_p99": pct(waits, 99),
            "during_backfill_max": pct(waits, 100),
        }
        out["push_latency_p99_s"] = (
            None if not waits else round(pct(waits, 99) + args.rtt, 3)  # type: ignore[operator]
        )
        out["backfills"] = {
            "accounts": args.backfills,
            "finished_after_s_max": round(max(stats.backfill_done_at, default=0.0), 1),
        }
        spans = stats.reconcile_spans
        out["reconcile_s"] = {"p50": round(pct(spans, 50) or 0.0, 1),
                              "max": round(pct(spans, 100) or 0.0, 1)}  # fmt: skip
    else:
        polls = [stats.polls[n] for n in range(args.accounts)]
        hours = length / 3600
        out["polls_per_account"] = {"min": min(polls), "max": max(polls)}
        out["poll_every_min"] = round(60 * hours / (sum(polls) / len(polls)), 1)
    return out


def budget_table(accounts: int, per_account: float) -> dict[str, Any]:
    """Return how many accounts one client can serve at a measured cost per account per day."""
    # Background work may use the long window less the reserve: 5,000 + 100 u, 80 % of it.
    share = 0.8
    # per_account * u <= share * (5000 + 100 u)  ->  u <= 4000 / (per_account - 80)
    largest = math.inf if per_account <= 100 * share else 5000 * share / (per_account - 100 * share)
    return {
        "per_account_per_day": per_account,
        "daily_limit_at": formula_limits(accounts)[1],
        "largest_accounts": "unbounded" if math.isinf(largest) else int(largest),
        "note": "each account adds 100 requests a day to the limit; at the measured cost "
        "below 80 (the share outside the push reserve) any number of accounts fits",
    }


def table(results: dict[str, Any]) -> str:
    """Return the human-readable summary."""
    lines = []
    for run in results["runs"]:
        lines.append(f"== {run['scenario']}: {run['accounts']} accounts on one client ==")
        lines.append(
            f"requests {run['requests']} ({run['requests_per_account']} per account), "
            f"429s {run['http_429']}, limits (15 min, 24 h) {run['limits']}"
        )
        lines.append(f"by lane: {run['by_lane']}")
        lines.append("per account by request:")
        lines += [f"  {n:8.3f}  {what}" for what, n in run["per_account_by_request"].items()]
        if "push_wait_s" in run:
            w = run["push_wait_s"]
            lines.append(
                f"push wait for a turn: p50 {w['all_p50']} s, p99 {w['all_p99']} s, "
                f"max {w['all_max']} s; during the backfill of {run['backfills']['accounts']} "
                f"accounts ({w['during_backfill_n']} pushes): p99 {w['during_backfill_p99']} s, "
                f"max {w['during_backfill_max']} s"
            )
            lines.append(
                f"push-to-answer p99 during the backfill: {run['push_latency_p99_s']} s "
                f"(round trip {results['rtt']} s); backfills done after "
                f"{run['backfills']['finished_after_s_max']} s; reconcile span p50 "
                f"{run['reconcile_s']['p50']} s, max {run['reconcile_s']['max']} s"
            )
        else:
            lines.append(
                f"polls per account {run['polls_per_account']}: one every "
                f"{run['poll_every_min']} min (push working: every "
                f"{RECONCILE_INTERVAL.total_seconds() / 60:.0f} min, polling asks every "
                f"{POLL_INTERVAL.total_seconds() / 60:.0f} min)"
            )
        lines.append(f"wall {run['wall_seconds']} s")
        lines.append("")
    b = results["budget"]
    lines.append(
        f"budget: {b['per_account_per_day']} requests per account per day measured; "
        f"largest number of accounts per client: {b['largest_accounts']} ({b['note']})"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the scenarios in simulated time."""
    results: dict[str, Any] = {
        "command": " ".join(["scripts/bench", *sys.argv[1:]]),
        "rtt": args.rtt,
        "runs": [],
    }
    for push in (True, False) if args.poll_hours else (True,):
        loop = VirtualLoop()
        now = {"epoch": datetime(2026, 11, 30, tzinfo=UTC).timestamp()}

        def virtual_utcnow(loop: VirtualLoop = loop, now: dict[str, float] = now) -> datetime:
            return datetime.fromtimestamp(now["epoch"] + loop.time(), UTC)

        clock: Callable[[], datetime] = virtual_utcnow
        shim = SimpleNamespace(utcnow=clock)
        with (
            patch.object(scheduler_module, "dt_util", shim),
            patch("homeassistant.helpers.event.time_tracker_utcnow", clock),
        ):
            try:
                results["runs"].append(loop.run_until_complete(scenario(args, push=push)))
            finally:
                loop.close()
    first = results["runs"][0]
    results["budget"] = budget_table(args.accounts, first["requests_per_account"])
    return results


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print and write the results."""
    parser = argparse.ArgumentParser(prog="scripts/bench --scale", description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--backfills", type=int, default=50, help="accounts set up first now")
    parser.add_argument("--backfill-at", type=float, default=6.0, help="hour of the day")
    parser.add_argument("--rtt", type=float, default=0.2, help="the API's round trip, seconds")
    parser.add_argument("--poll-hours", type=float, default=24.0, help="0: no push-down run")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="bench-scale.json")
    args = parser.parse_args(argv)
    results = run(args)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
