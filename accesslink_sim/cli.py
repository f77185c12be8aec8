"""Command line: `serve` runs the simulator; the other commands drive its control API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
import signal
import sys
from typing import TYPE_CHECKING, Any
import urllib.error
import urllib.request

from .config import RateLimitConfig, SimConfig, load_config_file

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_PORT = 8765
DEFAULT_URL = os.environ.get("ACCESSLINK_SIM_URL", f"http://127.0.0.1:{DEFAULT_PORT}")
COMMANDS = frozenset(
    {
        "serve", "health", "state", "create-client", "clients", "create-user", "users",
        "update-user", "settings", "workout", "sleep", "activity", "heart-rate",
        "physical-info", "notice", "token", "register", "revoke", "fault", "faults",
        "delivery-fault", "flush", "webhook", "deliveries", "wait", "requests", "rate-limits",
        "clock", "burst", "save", "reset",
    }
)  # fmt: skip


def _pair(text: str) -> tuple[int, int]:
    """Parse "BASE,PER_USER"."""
    base, _, per_user = text.partition(",")
    return int(base), int(per_user or 0)


def _delays(text: str) -> tuple[float, ...]:
    """Parse comma-separated retry delays in seconds."""
    return tuple(float(x) for x in text.split(",") if x.strip())


def _serve_parser(sub: Any) -> None:
    """Add the serve command."""
    p = sub.add_parser("serve", help="run the simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--config", type=Path, help="YAML or JSON: clients, users, settings")
    p.add_argument("--state", type=Path, help="persist state here and reload it at start")
    p.add_argument("--public-url", help="base URL used in notices (default: the bound URL)")
    p.add_argument("--auto-approve", action="store_true", help="skip the consent page")
    p.add_argument("--allow-remote-webhooks", action="store_true")
    p.add_argument("--retry-delays", type=_delays, default=None, help="e.g. 1,5,30,120,600")
    p.add_argument("--push-timeout", type=float, default=10.0)
    p.add_argument("--deactivate-after", type=float, default=7 * 86400.0, help="seconds")
    p.add_argument("--short-limit", type=_pair, default=(500, 20), help="BASE,PER_USER")
    p.add_argument("--long-limit", type=_pair, default=(5000, 100), help="BASE,PER_USER")
    p.add_argument("--short-window", type=float, default=900.0)
    p.add_argument("--long-window", type=float, default=86400.0)
    p.add_argument("--push-concurrency", type=int, default=64)
    p.add_argument(
        "--recharge-delay", type=float, default=0.0, help="seconds until a night's recharge shows"
    )
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--log-level", default="INFO")


def _control_parsers(sub: Any) -> None:  # noqa: PLR0915
    """Add the control commands."""

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        parser.add_argument("--sim-url", default=DEFAULT_URL)
        return parser

    add("health", "is it up?")
    add("state", "a summary of everything")
    p = add("create-client", "create a partner client")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--redirect-uri", action="append", default=[])
    p.add_argument("--name")
    p.add_argument("--auto-approve", action=argparse.BooleanOptionalAction, default=None)
    add("clients", "list clients")
    p = add("create-user", "create a Polar user")
    p.add_argument("--user-id", type=int)
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--utc-offset", type=int, dest="utc_offset_minutes")
    p.add_argument("--no-consents", action="store_true")
    add("users", "list users")
    p = add("update-user", "change a user")
    p.add_argument("user_id", type=int)
    p.add_argument("--consents", action=argparse.BooleanOptionalAction, default=None)
    p = add("settings", "show or change auto-approve / current user / recharge delay")
    p.add_argument("--auto-approve", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--current-user", type=int)
    p.add_argument("--recharge-delay", type=float, help="seconds")
    p = add("workout", "finish a workout (EXERCISE)")
    p.add_argument("user_id", type=int)
    p.add_argument("--sport")
    p.add_argument("--duration", help="seconds or ISO-8601, e.g. PT45M")
    p.add_argument("--distance", type=float)
    p.add_argument("--field", action="append", default=[], help="KEY=JSON_VALUE")
    p.add_argument("--no-push", action="store_true", help="record only (a missed push)")
    for name in ("sleep", "activity", "heart-rate", "physical-info"):
        p = add(name, f"record {name} data (again: replace it) or --repeat its notice")
        p.add_argument("user_id", type=int)
        p.add_argument("--date")
        p.add_argument("--field", action="append", default=[], help="KEY=JSON_VALUE")
        group = p.add_mutually_exclusive_group()
        group.add_argument("--no-push", action="store_true")
        group.add_argument("--repeat", action="store_true", help="push the notice again only")
    p = add("notice", "push an arbitrary notice")
    p.add_argument("event")
    p.add_argument("user_id", type=int)
    p.add_argument("--entity-id")
    p.add_argument("--date")
    p.add_argument("--from", dest="from_date")
    p.add_argument("--to", dest="to_date")
    for name in ("token", "register"):
        p = add(name, f"{name} a user for a client without OAuth2")
        p.add_argument("user_id", type=int)
        p.add_argument("--client-id", required=True)
        if name == "register":
            p.add_argument("--member-id")
    p = add("revoke", "revoke a user's tokens")
    p.add_argument("user_id", type=int)
    p.add_argument("--client-id")
    p = add("fault", "next COUNT responses under PATH fail")
    p.add_argument("path")
    p.add_argument("kind", choices=("error", "rate_limit", "hang"))
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--status", type=int)
    p.add_argument("--seconds", type=float, default=0.0)
    p.add_argument("--method")
    p = add("faults", "list or clear faults")
    p.add_argument("--clear", action="store_true")
    p = add("delivery-fault", "misbehave on the next COUNT notices")
    p.add_argument("kind", choices=("duplicate", "drop", "reorder", "delay"))
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--seconds", type=float, default=0.0)
    add("flush", "send notices held for reordering")
    p = add("webhook", "show, (de)activate or delete a client's webhook")
    p.add_argument("client_id")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--activate", action="store_true")
    group.add_argument("--deactivate", action="store_true")
    group.add_argument("--delete", action="store_true")
    p = add("deliveries", "read or clear the delivery log")
    p.add_argument("--kind")
    p.add_argument("--event")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--clear", action="store_true")
    p = add("wait", "wait until deliveries are done")
    p.add_argument("--timeout", type=float, default=10.0)
    p = add("requests", "request counts per endpoint")
    p.add_argument("--reset", action="store_true")
    p = add("rate-limits", "rate-limit usage per client")
    p.add_argument("--reset", action="store_true")
    p = add("clock", "show or move the simulated clock")
    p.add_argument("--advance", type=float, help="seconds")
    p.add_argument("--set", dest="set_to", help="ISO time")
    p = add("burst", "push COUNT signed notices fast")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rate", type=float, default=0.0, help="per second, 0 = unlimited")
    p.add_argument("--client-id")
    p.add_argument("--event", default="EXERCISE")
    p.add_argument("--user-id", type=int, action="append", dest="user_ids")
    add("save", "write the state file now")
    add("reset", "forget everything")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m accesslink_sim", description="A local Polar AccessLink simulator."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _control_parsers(sub)
    return parser


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """Turn serve flags into a SimConfig."""
    config = SimConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        public_url=args.public_url,
        allow_remote_webhooks=args.allow_remote_webhooks,
        auto_approve=args.auto_approve,
        push_timeout=args.push_timeout,
        ping_timeout=args.push_timeout,
        deactivate_after=args.deactivate_after,
        push_concurrency=args.push_concurrency,
        recharge_delay=args.recharge_delay,
        rate_limits=RateLimitConfig(
            short_window=args.short_window,
            short_base=args.short_limit[0],
            short_per_user=args.short_limit[1],
            long_window=args.long_window,
            long_base=args.long_limit[0],
            long_per_user=args.long_limit[1],
        ),
        state_file=args.state,
        initial=load_config_file(args.config) if args.config else {},
        access_log=not args.quiet,
    )
    if args.retry_delays is not None:
        config.retry_delays = args.retry_delays
    return config


async def serve(config: SimConfig) -> None:
    """Run until SIGINT or SIGTERM."""
    from .app import SimServer  # noqa: PLC0415  (control commands need not import the server)

    server = SimServer(config)
    url = await server.start()
    print(f"accesslink-sim listening on {url}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def call(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Send one control request; return the decoded JSON (None for 204)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310
        base.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:  # noqa: S310
            raw = resp.read()
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{err.code}: {err.read().decode(errors='replace')}") from err
    except urllib.error.URLError as err:
        raise SystemExit(f"cannot reach the simulator at {base}: {err.reason}") from err
    return json.loads(raw) if raw else None


def _drop_none(**kwargs: Any) -> dict[str, Any]:
    """Return the arguments that were given."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _field(text: str) -> tuple[str, Any]:
    """Parse KEY=JSON_VALUE (plain strings allowed)."""
    key, _, raw = text.partition("=")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def run_command(args: argparse.Namespace) -> Any:  # noqa: PLR0915
    """Run one control command and return its result."""
    url, cmd = args.sim_url, args.command
    match cmd:
        case "health":
            return call(url, "GET", "/_sim/health")
        case "state":
            return call(url, "GET", "/_sim/state")
        case "create-client":
            body = _drop_none(
                client_id=args.client_id,
                client_secret=args.client_secret,
                name=args.name,
                auto_approve=args.auto_approve,
            )
            body["redirect_uris"] = args.redirect_uri
            return call(url, "POST", "/_sim/clients", body)
        case "clients":
            return call(url, "GET", "/_sim/clients")
        case "create-user":
            body = _drop_none(
                user_id=args.user_id,
                first_name=args.first_name,
                last_name=args.last_name,
                utc_offset_minutes=args.utc_offset_minutes,
            )
            if args.no_consents:
                body["consents"] = False
            return call(url, "POST", "/_sim/users", body)
        case "users":
            return call(url, "GET", "/_sim/users")
        case "update-user":
            body = _drop_none(consents=args.consents)
            return call(url, "PATCH", f"/_sim/users/{args.user_id}", body)
        case "settings":
            body = _drop_none(
                auto_approve=args.auto_approve,
                current_user=args.current_user,
                recharge_delay=args.recharge_delay,
            )
            if not body:
                return call(url, "GET", "/_sim/settings")
            return call(url, "POST", "/_sim/settings", body)
        case "workout":
            fields = dict(_field(f) for f in args.field)
            fields.update(_drop_none(sport=args.sport, distance=args.distance))
            if args.duration is not None:
                duration = args.duration
                fields["duration"] = (
                    float(duration) if duration.replace(".", "").isdigit() else duration
                )
            body = {"fields": fields, "push": not args.no_push}
            return call(url, "POST", f"/_sim/users/{args.user_id}/exercises", body)
        case "sleep" | "activity" | "heart-rate" | "physical-info":
            path = {"heart-rate": "continuous-heart-rate"}.get(cmd, cmd)
            body = _drop_none(date=args.date)
            if args.field:
                body["fields"] = dict(_field(f) for f in args.field)
            if args.repeat:
                body["repeat"] = True
            else:
                body["push"] = not args.no_push
            return call(url, "POST", f"/_sim/users/{args.user_id}/{path}", body)
        case "notice":
            body = _drop_none(
                event=args.event,
                user_id=args.user_id,
                entity_id=args.entity_id,
                date=args.date,
                **{"from": args.from_date, "to": args.to_date},
            )
            return call(url, "POST", "/_sim/notices", body)
        case "token":
            body = {"client_id": args.client_id}
            return call(url, "POST", f"/_sim/users/{args.user_id}/tokens", body)
        case "register":
            body = _drop_none(client_id=args.client_id, member_id=args.member_id)
            return call(url, "POST", f"/_sim/users/{args.user_id}/register", body)
        case "revoke":
            body = _drop_none(client_id=args.client_id)
            return call(url, "POST", f"/_sim/users/{args.user_id}/revoke", body)
        case "fault":
            body = _drop_none(
                path=args.path,
                kind=args.kind,
                count=args.count,
                status=args.status,
                seconds=args.seconds,
                method=args.method,
            )
            return call(url, "POST", "/_sim/faults", body)
        case "faults":
            return call(url, "DELETE" if args.clear else "GET", "/_sim/faults")
        case "delivery-fault":
            body = {"kind": args.kind, "count": args.count, "seconds": args.seconds}
            return call(url, "POST", "/_sim/delivery-faults", body)
        case "flush":
            return call(url, "POST", "/_sim/deliveries/flush", {})
        case "webhook":
            base = f"/_sim/clients/{args.client_id}/webhook"
            if args.delete:
                return call(url, "DELETE", base)
            if args.activate or args.deactivate:
                action = "activate" if args.activate else "deactivate"
                return call(url, "POST", f"{base}/{action}", {})
            return call(url, "GET", base)
        case "deliveries":
            if args.clear:
                return call(url, "DELETE", "/_sim/deliveries")
            query = "&".join(
                f"{k}={v}" for k, v in (("kind", args.kind), ("event", args.event)) if v
            )
            return call(url, "GET", f"/_sim/deliveries?limit={args.limit}&{query}")
        case "wait":
            return call(url, "POST", "/_sim/deliveries/wait", {"timeout": args.timeout})
        case "requests":
            return call(url, "DELETE" if args.reset else "GET", "/_sim/requests")
        case "rate-limits":
            return call(url, "DELETE" if args.reset else "GET", "/_sim/rate-limits")
        case "clock":
            if args.advance is not None:
                return call(url, "POST", "/_sim/clock", {"advance": args.advance})
            if args.set_to is not None:
                return call(url, "POST", "/_sim/clock", {"set": args.set_to})
            return call(url, "GET", "/_sim/clock")
        case "burst":
            body = _drop_none(
                count=args.count,
                concurrency=args.concurrency,
                rate=args.rate,
                client_id=args.client_id,
                event=args.event,
                user_ids=args.user_ids,
            )
            return call(url, "POST", "/_sim/burst", body)
        case "save":
            return call(url, "POST", "/_sim/save", {})
        case "reset":
            return call(url, "POST", "/_sim/reset", {})
    raise SystemExit(f"unknown command {cmd}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m accesslink_sim`."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and args_list[0] not in {"-h", "--help"}):
        args_list.insert(0, "serve")
    args = build_parser().parse_args(args_list)
    if args.command == "serve":
        logging.basicConfig(
            level=getattr(logging, str(args.log_level).upper(), logging.INFO),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        try:
            config = config_from_args(args)
        except (OSError, ValueError, TypeError) as err:
            print(f"accesslink-sim: cannot load configuration: {err}", file=sys.stderr)  # noqa: T201
            return 2
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(config))
        return 0
    result = run_command(args)
    if result is not None:
        print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201
    return 0
