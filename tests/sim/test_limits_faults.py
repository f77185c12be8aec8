"""Rate limits, injected faults, delivery faults, request counts and robustness."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from accesslink_sim.app import SimServer
from accesslink_sim.config import RateLimitConfig

from .util import Receiver, Sim, fast_config


async def test_rate_limit_headers_on_every_api_response(sim: Sim) -> None:
    world = await sim.world()
    for path, headers in (
        ("/v3/exercises", world.bearer),
        ("/v3/exercises/missing", world.bearer),
        ("/v3/webhooks", world.basic),
        ("/v3/exercises", {}),
    ):
        async with sim.session.get(sim.url + path, headers=headers) as resp:
            for name in ("RateLimit-Usage", "RateLimit-Limit", "RateLimit-Reset"):
                short, long = resp.headers[name].split(", ")
                assert short.isdigit()
                assert long.isdigit()
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        assert resp.headers["RateLimit-Limit"] == "520, 5100"  # one registered user


async def test_rate_limit_429_and_reset(session: Any) -> None:
    limits = RateLimitConfig(short_base=3, short_per_user=1, long_base=100, long_per_user=0)
    server = SimServer(fast_config(rate_limits=limits))
    await server.start()
    try:
        sim = Sim(server, session)
        world = await sim.world()
        statuses = []
        for _ in range(5):
            async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
                statuses.append(resp.status)
                headers, body = resp.headers, await resp.json()
        # POST /v3/users already used one of the 3 + 1 requests
        assert statuses == [200, 200, 200, 429, 429]
        assert body["status"] == 429
        assert headers["RateLimit-Usage"].startswith("4, ")
        assert int(headers["RateLimit-Reset"].split(", ")[0]) <= 900
        await sim.ctl("POST", "/_sim/clock", {"advance": 901})
        async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
            assert resp.status == 200
            assert resp.headers["RateLimit-Usage"].startswith("1, ")
        usage = await sim.ctl("GET", "/_sim/rate-limits")
        assert usage[world.client_id]["limited"] == 2
    finally:
        await server.stop()


@pytest.mark.parametrize(("kind", "status"), [("error", 500), ("rate_limit", 429), ("error", 503)])
async def test_response_faults(sim: Sim, kind: str, status: int) -> None:
    world = await sim.world()
    await sim.ctl(
        "POST",
        "/_sim/faults",
        {"path": "/v3/exercises", "kind": kind, "count": 2, "status": status},
    )
    got = []
    for _ in range(3):
        async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
            got.append(resp.status)
            if resp.status != 200:
                body = await resp.json()
                assert body["status"] == status
                assert "RateLimit-Usage" in resp.headers
    assert got == [status, status, 200]
    assert (await sim.ctl("GET", "/_sim/faults"))["responses"] == []


async def test_hang_fault_and_method_filter(sim: Sim) -> None:
    world = await sim.world()
    await sim.ctl(
        "POST",
        "/_sim/faults",
        {"path": "/v3/", "kind": "hang", "seconds": 0.3, "method": "GET", "count": 1},
    )
    started = time.monotonic()
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        assert resp.status == 200
    assert time.monotonic() - started >= 0.3
    await sim.ctl("POST", "/_sim/faults", {"path": "/v2/oauth2/token", "kind": "error"})
    async with sim.session.post(sim.url + "/v2/oauth2/token", data={}) as resp:
        assert resp.status == 500
    await sim.ctl("POST", "/_sim/faults", {"path": "/v3/", "kind": "error", "count": 5})
    await sim.ctl("DELETE", "/_sim/faults", status=204)
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        assert resp.status == 200


async def test_delivery_faults(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver, events=["EXERCISE"])
    uid = world.user_id
    await sim.ctl("POST", "/_sim/delivery-faults", {"kind": "duplicate"})
    first = await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {})
    await sim.wait_idle()
    assert [n.json["entity_id"] for n in receiver.notices] == [first["exercise"]["id"]] * 2
    assert receiver.notices[0].body == receiver.notices[1].body

    await sim.ctl("POST", "/_sim/delivery-faults", {"kind": "drop"})
    await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {})
    await sim.wait_idle()
    assert len(receiver.notices) == 2
    dropped = await sim.ctl("GET", "/_sim/deliveries?kind=push")
    assert dropped["deliveries"][-1]["fault"] == "drop"

    await sim.ctl("POST", "/_sim/delivery-faults", {"kind": "reorder", "count": 3})
    ids = []
    for _ in range(3):
        made = await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {})
        ids.append(made["exercise"]["id"])
    await sim.wait_idle()
    assert [n.json["entity_id"] for n in receiver.notices[2:]] == ids[::-1]

    # a missed push: recorded only, still listed
    silent = await sim.ctl("POST", f"/_sim/users/{uid}/exercises", {"push": False})
    await sim.wait_idle()
    assert len(receiver.notices) == 5
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        listed = [e["id"] for e in await resp.json()]
    assert silent["exercise"]["id"] in listed


async def test_request_counts_by_template(sim: Sim) -> None:
    world = await sim.world()
    await sim.ctl("DELETE", "/_sim/requests", status=204)
    for path in ("/v3/exercises/a", "/v3/exercises/b", "/v3/exercises"):
        async with sim.session.get(sim.url + path, headers=world.bearer):
            pass
    counts = await sim.ctl("GET", "/_sim/requests")
    assert counts["counts"] == {"GET /v3/exercises": 1, "GET /v3/exercises/{exercise_id}": 2}
    assert counts["total"] == 3


async def test_notice_route_and_burst(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver, events=["SLEEP_WISE_ALERTNESS", "EXERCISE"])
    await sim.ctl(
        "POST",
        "/_sim/notices",
        {
            "event": "SLEEP_WISE_ALERTNESS",
            "user_id": world.user_id,
            "from": "2026-01-01",
            "to": "2026-01-03",
        },
        status=201,
    )
    (notice,) = await receiver.wait_notices(1)
    assert notice.json["from"] == "2026-01-01"
    assert "alertness/date?from=2026-01-01&to=2026-01-03" in notice.json["url"]
    result = await sim.ctl("POST", "/_sim/burst", {"count": 200, "concurrency": 16})
    assert result["sent"] == 200
    assert result["ok"] == 200
    assert result["latency_ms"]["p50"] is not None
    assert len(receiver.notices) == 201
    receiver.default_status = 500
    result = await sim.ctl("POST", "/_sim/burst", {"count": 10, "rate": 1000})
    assert result["ok"] == 0
    assert result["statuses"] == {"500": 10}


MALFORMED: list[tuple[str, str, dict[str, str], bytes]] = [
    ("POST", "/v2/oauth2/token", {"Content-Type": "application/x-www-form-urlencoded"}, b"%%%=&&&"),
    (
        "POST",
        "/v2/oauth2/token",
        {"Authorization": "Basic \xff\xfe"},
        b"grant_type=authorization_code",
    ),
    (
        "POST",
        "/v2/oauth2/token",
        {"Content-Type": "multipart/form-data; boundary=x"},
        b"--x\r\nbad",
    ),
    ("GET", "/oauth2/authorization?response_type=code&client_id=c&redirect_uri=%22%5C%00", {}, b""),
    ("GET", "/oauth2/authorization?client_id=c&client_id=d&response_type=code", {}, b""),
    ("GET", "/oauth2/authorization?response_type=code&client_id=c&user=abc", {}, b""),
    ("GET", "/oauth2/authorization?response_type=code&client_id=c&user=99", {}, b""),
    ("POST", "/v3/users", {"Authorization": "Bearer"}, b"{}"),
    ("POST", "/v3/users", {"Authorization": "Bearer x"}, b"\xff\xfe"),
    ("GET", "/v3/users/99999999999999999999999", {"Authorization": "Bearer x"}, b""),
    ("PATCH", "/v3/webhooks/x", {"Authorization": "Basic Og=="}, b"nonsense"),
    ("POST", "/v3/webhooks", {"Authorization": "Basic \u00e4"}, b"{}"),
    ("GET", "/v3/exercises/%00", {}, b""),
    ("GET", "/oauth2/authorization?response_type=code&client_id=c", {"Host": "x:99999"}, b""),
    ("POST", "/v2/oauth2/token", {"Host": "", "Authorization": "Basic YzpkCg=="}, b"code=1"),
    ("PUT", "/v3/exercises", {}, b""),
    ("POST", "/_sim/clients", {}, b'{"client_id": 5}'),
    ("POST", "/_sim/clients", {}, b'{"redirect_uris": "x"}'),
    ("POST", "/_sim/users", {}, b'{"weight": "heavy"}'),
    ("POST", "/_sim/users", {}, b'{"user_id": true}'),
    ("POST", "/_sim/users", {}, b'{"bogus": 1}'),
    ("PATCH", "/_sim/users/abc", {}, b"{}"),
    ("POST", "/_sim/users/1/exercises", {}, b"[]"),
    ("POST", "/_sim/users/1/sleep", {}, b'{"date": 5}'),
    ("POST", "/_sim/faults", {}, b'{"path": "/v3", "kind": "explode"}'),
    ("POST", "/_sim/faults", {}, b'{"path": "/v3", "kind": "error", "count": -1}'),
    ("POST", "/_sim/delivery-faults", {}, b'{"kind": "drop", "count": "1"}'),
    ("POST", "/_sim/clock", {}, b'{"set": "tomorrow"}'),
    ("POST", "/_sim/clock", {}, b'{"advance": "1"}'),
    ("POST", "/_sim/burst", {}, b'{"count": 0}'),
    ("POST", "/_sim/notices", {}, b'{"event": "EXERCISE", "user_id": 1}'),
    ("POST", "/_sim/settings", {}, b'{"current_user": 424242}'),
    ("GET", "/_sim/deliveries?limit=x&since=-1", {}, b""),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), MALFORMED)
async def test_malformed_input_never_500(
    sim: Sim, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    await sim.ctl(
        "POST", "/_sim/clients", {"client_id": "c", "redirect_uris": ["http://127.0.0.1:1/cb"]}
    )
    await sim.ctl("POST", "/_sim/users", {"user_id": 1})
    async with sim.session.request(
        method, sim.url + path, headers=headers, data=body, allow_redirects=False
    ) as resp:
        assert resp.status < 500, await resp.text()
        if resp.status >= 400 and resp.content_type == "application/json":
            data = await resp.json()
            assert "status" in data or "error" in data


async def test_unexpected_exception_becomes_logged_500(sim: Sim, caplog: Any) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    sim.server.sim.summary = broken  # type: ignore[method-assign, assignment]
    async with sim.session.get(sim.url + "/_sim/state") as resp:
        assert resp.status == 500
        body = await resp.json()
    assert body["status"] == 500
    assert "boom" not in str(body)
    assert "Unexpected error" in caplog.text


async def test_concurrent_requests_are_served(sim: Sim) -> None:
    world = await sim.world()

    async def one() -> int:
        async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
            return resp.status

    statuses = await asyncio.gather(*(one() for _ in range(100)))
    assert set(statuses) == {200}
