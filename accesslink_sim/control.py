"""The control API under /_sim/: set up the world, make things happen, inspect and break it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiohttp import web

from .core import USER_FIELDS, _pick, recharge_delay
from .day import simulate_day
from .errors import ApiError
from .faults import DELIVERY_KINDS, RESPONSE_KINDS, DeliveryFault, ResponseFault
from .keys import json_body, path_int, sim_of
from .push import EVENT_TYPES
from .state import SimState

P = "/_sim"


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    """Return a boolean field."""
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"{key} must be true or false")
    return value


def _int(body: dict[str, Any], key: str, default: int | None, lo: int = 0, hi: int = 10**9) -> int:
    """Return a bounded integer field."""
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ApiError(400, f"{key} must be an integer between {lo} and {hi}")
    return value


def _num(body: dict[str, Any], key: str, default: float, lo: float = 0.0, hi: float = 1e9) -> float:
    """Return a bounded number field."""
    value = body.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
        raise ApiError(400, f"{key} must be a number between {lo} and {hi}")
    return float(value)


async def health(request: web.Request) -> web.Response:
    """Liveness and the base URL."""
    sim = sim_of(request)
    return web.json_response({"ok": True, "url": sim.base_url})


async def state(request: web.Request) -> web.Response:
    """Return a compact view of the whole world."""
    return web.json_response(sim_of(request).summary())


async def settings(request: web.Request) -> web.Response:
    """GET or change auto_approve, current_user and recharge_delay."""
    sim = sim_of(request)
    if request.method != "GET":
        body = await json_body(request)
        unknown = set(body) - {"auto_approve", "current_user", "recharge_delay"}
        if unknown:
            raise ApiError(400, f"unknown settings: {', '.join(sorted(unknown))}")
        if "auto_approve" in body:
            sim.state.settings.auto_approve = _bool(body, "auto_approve", False)
            sim.mark_dirty()
        if "current_user" in body:
            current = body["current_user"]
            sim.set_current_user(None if current is None else _int(body, "current_user", None, 1))
        if "recharge_delay" in body:
            sim.state.settings.recharge_delay = recharge_delay(body["recharge_delay"])
            sim.mark_dirty()
    return web.json_response(asdict(sim.state.settings))


async def create_client(request: web.Request) -> web.Response:
    """Create a partner client."""
    sim = sim_of(request)
    body = await json_body(request, required=False)
    fields = _pick(body, ("client_id", "client_secret", "redirect_uris", "auto_approve", "name"))
    if "auto_approve" in fields and fields["auto_approve"] is not None:
        _bool(fields, "auto_approve", False)
    for key in ("client_id", "client_secret", "name"):
        if key in fields and not isinstance(fields[key], str):
            raise ApiError(400, f"{key} must be a string")
    client = sim.add_client(**fields)
    return web.json_response(sim.client_json(client), status=201)


async def list_clients(request: web.Request) -> web.Response:
    """List clients (with secrets and webhooks)."""
    sim = sim_of(request)
    return web.json_response([sim.client_json(c) for c in sim.state.clients.values()])


async def one_client(request: web.Request) -> web.Response:
    """GET or PATCH (auto_approve, redirect_uris, name) a client."""
    sim = sim_of(request)
    client = sim.client(request.match_info["client_id"])
    if request.method == "PATCH":
        body = _pick(await json_body(request), ("auto_approve", "redirect_uris", "name"))
        if "auto_approve" in body:
            client.auto_approve = (
                None if body["auto_approve"] is None else _bool(body, "auto_approve", False)
            )
        if "redirect_uris" in body:
            uris = body["redirect_uris"]
            if not isinstance(uris, list) or not all(isinstance(u, str) and u for u in uris):
                raise ApiError(400, "redirect_uris must be a list of URLs")
            client.redirect_uris = list(uris)
        if "name" in body:
            if not isinstance(body["name"], str):
                raise ApiError(400, "name must be a string")
            client.name = body["name"]
        sim.mark_dirty()
    return web.json_response(sim.client_json(client))


async def client_webhook(request: web.Request) -> web.Response:
    """GET (with secret) or DELETE a client's webhook."""
    sim = sim_of(request)
    client = sim.client(request.match_info["client_id"])
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is None:
        raise ApiError(404, "Webhook not found")
    if request.method == "DELETE":
        del sim.state.webhooks[client.client_id]
        sim.mark_dirty()
        return web.Response(status=204)
    return web.json_response(asdict(webhook))


async def webhook_switch(request: web.Request) -> web.Response:
    """Force a webhook active or inactive (no ping)."""
    sim = sim_of(request)
    client = sim.client(request.match_info["client_id"])
    webhook = sim.state.webhooks.get(client.client_id)
    if webhook is None:
        raise ApiError(404, "Webhook not found")
    webhook.active = request.match_info["action"] == "activate"
    if webhook.active:
        webhook.failing_since = None
    sim.mark_dirty()
    return web.json_response(asdict(webhook))


async def create_user(request: web.Request) -> web.Response:
    """Create a Polar account."""
    sim = sim_of(request)
    body = await json_body(request, required=False)
    user = sim.add_user(**_pick(body, USER_FIELDS))
    return web.json_response(sim.user_summary(user), status=201)


async def list_users(request: web.Request) -> web.Response:
    """List users."""
    sim = sim_of(request)
    return web.json_response([sim.user_summary(u) for u in sim.state.users.values()])


async def one_user(request: web.Request) -> web.Response:
    """GET or PATCH a user (e.g. {"consents": false})."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    if request.method == "PATCH":
        sim.update_user(user_id, await json_body(request))
    return web.json_response(sim.user_summary(sim.user(user_id)))


async def add_exercise(request: web.Request) -> web.Response:
    """Finish a workout: record an exercise and push EXERCISE unless push is false."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    body = await json_body(request, required=False)
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise ApiError(400, "fields must be an object")
    for key in ("sport", "duration", "distance"):
        if key in body:
            fields.setdefault(key, body[key])
    unknown = set(body) - {"fields", "push", "sport", "duration", "distance"}
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    exercise, notice = sim.finish_workout(user_id, fields, push=_bool(body, "push", True))
    return web.json_response({"exercise": exercise.summary, "notice": notice}, status=201)


def _add_day(kind: str) -> Any:
    """Return a handler recording (or repeating the notice of) a dated document of a kind."""

    async def handler(request: web.Request) -> web.Response:
        """Record the document and push its notice unless push is false; repeat: push again."""
        sim = sim_of(request)
        user_id = path_int(request, "user_id")
        body = await json_body(request, required=False)
        unknown = set(body) - {"date", "push", "fields", "repeat"}
        if unknown:
            raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))}")
        if _bool(body, "repeat", False):
            if "fields" in body or "push" in body:
                raise ApiError(400, "repeat pushes the recorded data again: no fields or push")
            recorded, repeated = sim.repeat_day(kind, user_id, body.get("date"))
            return web.json_response({"data": recorded, "notice": repeated})
        fields = body.get("fields", {})
        if not isinstance(fields, dict):
            raise ApiError(400, "fields must be an object")
        doc, notice = sim.record_day(
            kind, user_id, body.get("date"), fields, push=_bool(body, "push", True)
        )
        return web.json_response({"data": doc, "notice": notice}, status=201)

    return handler


async def add_sleepwise(request: web.Request) -> web.Response:
    """Record a day's SleepWise alertness and circadian bedtime; push both unless push is false."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    body = _pick(await json_body(request, required=False), ("date", "push"))
    alertness, bedtime, notices = sim.record_sleepwise(
        user_id, body.get("date"), push=_bool(body, "push", True)
    )
    return web.json_response(
        {"alertness": alertness, "circadian_bedtime": bedtime, "notices": notices}, status=201
    )


async def add_biosensing(request: web.Request) -> web.Response:
    """Record a day's SpO2 test, skin temperature and body temperature (Polar pushes none)."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    body = _pick(await json_body(request, required=False), ("date",))
    docs = sim.record_biosensing(user_id, body.get("date"))
    return web.json_response(
        {
            "spo2": [docs["spo2"]],
            "skintemperature": [docs["skintemp"]],
            "bodytemperature": [docs["bodytemp"]],
        },
        status=201,
    )


async def add_history(request: web.Request) -> web.Response:
    """Record activity and continuous heart rate of the days before today, pushing nothing.

    As a device synced after registration: an account with a year behind it for a backfill.
    """
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    body = _pick(await json_body(request, required=False), ("days",))
    days = int(_num(body, "days", 28.0, 1.0, 365.0))
    today = sim.clock.now_dt().date()
    recorded = {"activity": 0, "chr": 0}
    for back in range(1, days + 1):
        iso = (today - timedelta(days=back)).isoformat()
        for kind in recorded:
            sim.record_day(kind, user_id, iso, push=False)
            recorded[kind] += 1
    return web.json_response({"days": days, "recorded": recorded}, status=201)


async def add_day(request: web.Request) -> web.Response:
    """Simulate a day of one account: every kind recorded, each with its notice."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    body = _pick(await json_body(request, required=False), ("date", "weight"))
    weight = None
    if "weight" in body:
        weight = _num(body, "weight", 0.0, 20.0, 400.0)
    return web.json_response(simulate_day(sim, user_id, body.get("date"), weight), status=201)


async def mint_token(request: web.Request) -> web.Response:
    """Issue a token for a user and client without the OAuth2 dance."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    sim.user(user_id)
    body = await json_body(request)
    client = sim.client(str(body.get("client_id", "")))
    token = sim.mint_token(client.client_id, user_id)
    return web.json_response(
        {
            "access_token": token.access_token,
            "token_type": "bearer",
            "expires_in": sim.config.token_expires_in,
            "x_user_id": user_id,
        },
        status=201,
    )


async def register_user(request: web.Request) -> web.Response:
    """Register a user to a client directly (like POST /v3/users)."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    sim.user(user_id)
    body = await json_body(request)
    client = sim.client(str(body.get("client_id", "")))
    member_id = body.get("member_id", f"member-{user_id}")
    if not isinstance(member_id, str) or not member_id:
        raise ApiError(400, "member_id must be a non-empty string")
    token = sim.mint_token(client.client_id, user_id)
    reg = sim.register(token, member_id)
    return web.json_response(
        {**sim.user_json(sim.user(user_id), reg), "access_token": token.access_token}, status=201
    )


async def revoke(request: web.Request) -> web.Response:
    """Revoke a user's tokens (optionally only those of one client)."""
    sim = sim_of(request)
    user_id = path_int(request, "user_id")
    sim.user(user_id)
    body = await json_body(request, required=False)
    client_id = body.get("client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise ApiError(400, "client_id must be a string")
    return web.json_response({"revoked": sim.revoke_tokens(user_id=user_id, client_id=client_id)})


async def notice(request: web.Request) -> web.Response:
    """Push an arbitrary notice for a user (no data is recorded)."""
    sim = sim_of(request)
    body = await json_body(request)
    event = body.get("event")
    if event not in EVENT_TYPES:
        raise ApiError(400, f"event must be one of {', '.join(EVENT_TYPES)}")
    user_id = _int(body, "user_id", None, 1)
    sim.user(user_id)
    extra: dict[str, str | None] = {}
    for key in ("entity_id", "date", "from", "to"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"{key} must be a string")
        extra[key] = value
    today = sim.clock.now_dt().date().isoformat()
    if event == "EXERCISE" and not extra["entity_id"]:
        raise ApiError(400, "EXERCISE needs entity_id")
    for key in ("date", "from", "to"):
        extra[key] = extra[key] or today
    return web.json_response(sim.notify(str(event), user_id, **extra), status=201)


async def faults(request: web.Request) -> web.Response:
    """GET, add (POST) or clear (DELETE) response faults."""
    sim = sim_of(request)
    if request.method == "POST":
        body = await json_body(request)
        path = body.get("path")
        kind = body.get("kind")
        method = body.get("method")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ApiError(400, "path must be a path prefix starting with /")
        if kind not in RESPONSE_KINDS:
            raise ApiError(400, f"kind must be one of {', '.join(RESPONSE_KINDS)}")
        if method is not None and not isinstance(method, str):
            raise ApiError(400, "method must be a string")
        rule = sim.faults.add_response(
            path,
            cast("ResponseFault", kind),
            _int(body, "count", 1, 1),
            method=method,
            status=_int(body, "status", 429 if kind == "rate_limit" else 500, 400, 599),
            seconds=_num(body, "seconds", 0.0, 0.0, 3600.0),
        )
        return web.json_response(rule.to_json(), status=201)
    if request.method == "DELETE":
        sim.faults.clear()
        sim.pusher.flush_held()
        return web.Response(status=204)
    return web.json_response(sim.faults.to_json())


async def delivery_faults(request: web.Request) -> web.Response:
    """Add a delivery fault: duplicate, drop, reorder (hold N then send reversed) or delay."""
    sim = sim_of(request)
    body = await json_body(request)
    kind = body.get("kind")
    if kind not in DELIVERY_KINDS:
        raise ApiError(400, f"kind must be one of {', '.join(DELIVERY_KINDS)}")
    count = _int(body, "count", 2 if kind == "reorder" else 1, 1)
    rule = sim.faults.add_delivery(
        cast("DeliveryFault", kind), count, _num(body, "seconds", 0.0, 0.0, 3600.0)
    )
    return web.json_response(rule.to_json(), status=201)


async def deliveries(request: web.Request) -> web.Response:
    """Read (GET, filters: kind, event, client_id, user_id, since, limit) or clear the log."""
    sim = sim_of(request)
    if request.method == "DELETE":
        sim.pusher.log.clear()
        return web.Response(status=204)
    q = request.query
    since = int(q["since"]) if q.get("since", "").isdigit() else 0
    limit = int(q["limit"]) if q.get("limit", "").isdigit() else 1000
    out = []
    for entry in sim.pusher.log:
        if entry["id"] <= since:
            continue
        if any(
            k in q and str(entry.get(k)) != q[k] for k in ("kind", "event", "client_id", "user_id")
        ):
            continue
        out.append(entry)
    return web.json_response(
        {"deliveries": out[-limit:] if limit else [], "pending": sim.pusher.pending}
    )


async def wait_deliveries(request: web.Request) -> web.Response:
    """Wait until no delivery is pending (timeout seconds, default 10)."""
    sim = sim_of(request)
    body = await json_body(request, required=False)
    idle = await sim.pusher.wait_idle(_num(body, "timeout", 10.0, 0.0, 600.0))
    return web.json_response({"idle": idle, "pending": sim.pusher.pending})


async def flush_held(request: web.Request) -> web.Response:
    """Send notices held by a reorder fault now."""
    return web.json_response({"flushed": sim_of(request).pusher.flush_held()})


async def requests(request: web.Request) -> web.Response:
    """GET request counts per "METHOD /path/{template}" (all, per account) or reset them."""
    sim = sim_of(request)
    if request.method == "DELETE":
        sim.requests.clear()
        sim.requests_by_user.clear()
        return web.Response(status=204)
    raw_user = request.query.get("user_id")
    if raw_user is not None:
        if not raw_user.isdigit():
            raise ApiError(400, "user_id must be a Polar user id")
        mine = dict(sorted(sim.requests_by_user.get(int(raw_user), {}).items()))
        return web.json_response({"counts": mine, "total": sum(mine.values())})
    counts = dict(sorted(sim.requests.items()))
    by_user = {
        str(uid): dict(sorted(routes.items())) for uid, routes in sim.requests_by_user.items()
    }
    return web.json_response({"counts": counts, "total": sum(counts.values()), "by_user": by_user})


async def rate_limits(request: web.Request) -> web.Response:
    """GET usage per client, reset the windows (DELETE) or change the limits (PATCH)."""
    sim = sim_of(request)
    if request.method == "DELETE":
        sim.rates.reset()
        return web.Response(status=204)
    if request.method == "PATCH":
        body = await json_body(request)
        config = sim.rates.config
        for key in ("short_base", "short_per_user", "long_base", "long_per_user"):
            setattr(config, key, _int(body, key, getattr(config, key)))
        for key in ("short_window", "long_window"):
            setattr(config, key, _num(body, key, getattr(config, key), 1.0, 30 * 86400.0))
        # New limits start new windows.
        sim.rates.reset()
        return web.json_response(asdict(config))
    out = {
        cid: {"short": q.short.used, "long": q.long.used, "limited": q.limited}
        for cid, q in sim.rates.quotas.items()
    }
    return web.json_response(out)


async def clock(request: web.Request) -> web.Response:
    """GET the simulated time or move it ({"advance": seconds} or {"set": ISO time})."""
    sim = sim_of(request)
    if request.method == "POST":
        body = await json_body(request)
        if "advance" in body:
            sim.clock.advance(_num(body, "advance", 0.0, -1e10, 1e10))
        elif isinstance(body.get("set"), str):
            try:
                when = datetime.fromisoformat(body["set"])
            except ValueError as err:
                raise ApiError(400, "set must be an ISO-8601 time") from err
            sim.clock.set(when if when.tzinfo else when.replace(tzinfo=UTC))
        else:
            raise ApiError(400, "give advance (seconds) or set (ISO time)")
        for webhook in sim.state.webhooks.values():
            sim.pusher.check_deactivation(webhook)
        sim.mark_dirty()
    return web.json_response({"now": sim.clock.now_dt().isoformat(), "offset": sim.clock.offset})


async def burst(request: web.Request) -> web.Response:
    """Push count signed notices concurrently; report successes and latencies."""
    sim = sim_of(request)
    body = await json_body(request)
    count = _int(body, "count", 1000, 1, 1_000_000)
    concurrency = _int(body, "concurrency", sim.config.push_concurrency, 1, 1024)
    rate = _num(body, "rate", 0.0, 0.0, 1e6)
    event = body.get("event", "EXERCISE")
    if event not in EVENT_TYPES:
        raise ApiError(400, f"event must be one of {', '.join(EVENT_TYPES)}")
    client_id = body.get("client_id")
    if client_id is None:
        if len(sim.state.webhooks) != 1:
            raise ApiError(400, "client_id is required unless exactly one webhook exists")
        client_id = next(iter(sim.state.webhooks))
    webhook = sim.state.webhooks.get(str(client_id))
    if webhook is None:
        raise ApiError(400, f"client {client_id} has no webhook")
    user_ids = body.get("user_ids")
    if user_ids is None:
        user_ids = sorted(
            r.user_id for r in sim.state.registrations.values() if r.client_id == client_id
        )
        user_ids = user_ids or sorted(sim.state.users) or [1]
    if (
        not isinstance(user_ids, list)
        or not user_ids
        or not all(isinstance(u, int) and not isinstance(u, bool) for u in user_ids)
    ):
        raise ApiError(400, "user_ids must be a non-empty list of integers")
    if not sim.pusher.url_allowed(webhook.url):
        raise ApiError(400, "webhook url is not allowed")
    result = await sim.pusher.burst(
        webhook, user_ids, count=count, concurrency=concurrency, rate=rate, event=str(event)
    )
    return web.json_response(result)


async def save(request: web.Request) -> web.Response:
    """Write the state file now."""
    sim = sim_of(request)
    if sim.config.state_file is None:
        raise ApiError(400, "no state file configured (--state)")
    sim.save()
    return web.json_response({"saved": str(sim.config.state_file)})


async def reset(request: web.Request) -> web.Response:
    """Forget everything except configuration: clients, users, data, logs, faults, counters."""
    sim = sim_of(request)
    sim.state = SimState()
    sim.faults.clear()
    sim.pusher.flush_held()
    sim.pusher.log.clear()
    sim.requests.clear()
    sim.requests_by_user.clear()
    sim.rates.reset()
    sim.clock.offset = 0.0
    sim.mark_dirty()
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    """Add the control routes."""
    r = app.router
    r.add_get(f"{P}/health", health)
    r.add_get(f"{P}/state", state)
    r.add_route("*", f"{P}/settings", settings)
    r.add_post(f"{P}/clients", create_client)
    r.add_get(f"{P}/clients", list_clients)
    r.add_route("GET", f"{P}/clients/{{client_id}}", one_client)
    r.add_route("PATCH", f"{P}/clients/{{client_id}}", one_client)
    r.add_route("GET", f"{P}/clients/{{client_id}}/webhook", client_webhook)
    r.add_route("DELETE", f"{P}/clients/{{client_id}}/webhook", client_webhook)
    r.add_post(f"{P}/clients/{{client_id}}/webhook/{{action:activate|deactivate}}", webhook_switch)
    r.add_post(f"{P}/users", create_user)
    r.add_get(f"{P}/users", list_users)
    r.add_route("GET", f"{P}/users/{{user_id}}", one_user)
    r.add_route("PATCH", f"{P}/users/{{user_id}}", one_user)
    r.add_post(f"{P}/users/{{user_id}}/exercises", add_exercise)
    r.add_post(f"{P}/users/{{user_id}}/sleep", _add_day("sleep"))
    r.add_post(f"{P}/users/{{user_id}}/activity", _add_day("activity"))
    r.add_post(f"{P}/users/{{user_id}}/continuous-heart-rate", _add_day("chr"))
    r.add_post(f"{P}/users/{{user_id}}/physical-info", _add_day("physical"))
    r.add_post(f"{P}/users/{{user_id}}/sleepwise", add_sleepwise)
    r.add_post(f"{P}/users/{{user_id}}/biosensing", add_biosensing)
    r.add_post(f"{P}/users/{{user_id}}/day", add_day)
    r.add_post(f"{P}/users/{{user_id}}/history", add_history)
    r.add_post(f"{P}/users/{{user_id}}/tokens", mint_token)
    r.add_post(f"{P}/users/{{user_id}}/register", register_user)
    r.add_post(f"{P}/users/{{user_id}}/revoke", revoke)
    r.add_post(f"{P}/notices", notice)
    r.add_route("*", f"{P}/faults", faults)
    r.add_post(f"{P}/delivery-faults", delivery_faults)
    r.add_get(f"{P}/deliveries", deliveries)
    r.add_delete(f"{P}/deliveries", deliveries)
    r.add_post(f"{P}/deliveries/wait", wait_deliveries)
    r.add_post(f"{P}/deliveries/flush", flush_held)
    r.add_get(f"{P}/requests", requests)
    r.add_delete(f"{P}/requests", requests)
    r.add_get(f"{P}/rate-limits", rate_limits)
    r.add_delete(f"{P}/rate-limits", rate_limits)
    r.add_patch(f"{P}/rate-limits", rate_limits)
    r.add_get(f"{P}/clock", clock)
    r.add_post(f"{P}/clock", clock)
    r.add_post(f"{P}/burst", burst)
    r.add_post(f"{P}/save", save)
    r.add_post(f"{P}/reset", reset)
