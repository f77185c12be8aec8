"""Webhooks: PING, signatures, retries, the delivery log, (de)activation and conflicts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .util import Receiver, Sim, World, signature_ok


async def _webhooks(sim: Sim, world: World) -> list[dict[str, Any]]:
    """Return GET /v3/webhooks data."""
    async with sim.session.get(sim.url + "/v3/webhooks", headers=world.basic) as resp:
        assert resp.status == 200
        data: list[dict[str, Any]] = (await resp.json())["data"]
        return data


async def _create(
    sim: Sim, world: World, url: str, events: tuple[str, ...] = ("EXERCISE",)
) -> tuple[int, dict[str, Any]]:
    """POST /v3/webhooks with the client's credentials; return the status and JSON body."""
    async with sim.session.post(
        sim.url + "/v3/webhooks", json={"events": list(events), "url": url}, headers=world.basic
    ) as resp:
        return resp.status, await resp.json()


async def test_create_pings_and_returns_secret_once(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world()
    status, body = await _create(sim, world, receiver.url)
    assert status == 201
    data = body["data"]
    assert set(data) == {"id", "events", "url", "signature_secret_key"}
    (ping,) = receiver.received
    assert ping.json["event"] == "PING"
    assert ping.json["timestamp"].endswith("Z")
    hooks = await _webhooks(sim, world)
    assert hooks == [
        {"id": data["id"], "events": ["EXERCISE"], "url": receiver.url, "active": True}
    ]


@pytest.mark.parametrize("status", [500, 404, 204, 301])
async def test_ping_must_answer_200(sim: Sim, receiver: Receiver, status: int) -> None:
    world = await sim.world()
    receiver.default_status = status
    status, body = await _create(sim, world, receiver.url)
    assert status == 400
    assert body["status"] == 400
    assert body["errorType"] == "WebhookPingFailedException"
    assert set(body) == {"timestamp", "status", "errorType", "message", "corrId"}
    assert await _webhooks(sim, world) == []


async def test_ping_to_closed_port_and_timeout(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world()
    status, body = await _create(sim, world, "http://127.0.0.1:9/closed")
    assert status == 400
    receiver.delay = 1.2  # the test config's ping timeout is 1 s
    status, body = await _create(sim, world, receiver.url)
    assert status == 400
    assert "timeout" in body["message"]
    await asyncio.sleep(0.4)  # let the receiver finish its slow answer


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/hook", "https://example.com/hook", "http://homeassistant.local/x"]
)
async def test_only_loopback_targets(sim: Sim, url: str) -> None:
    world = await sim.world()
    status, body = await _create(sim, world, url)
    assert status == 400
    assert "loopback" in body["message"]
    log = await sim.ctl("GET", "/_sim/deliveries")
    assert log["deliveries"] == []


async def test_second_webhook_conflicts(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    status, body = await _create(sim, world, receiver.url, ("SLEEP",))
    assert status == 409
    assert body["status"] == 409


async def test_webhook_needs_client_credentials(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world()
    for headers in ({}, world.bearer, {"Authorization": "Basic eDp5"}):
        async with sim.session.get(sim.url + "/v3/webhooks", headers=headers) as resp:
            assert resp.status == 401


async def test_signed_pushes_verify_with_returned_secret(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    assert world.secret is not None
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleep", {"date": "2026-01-02"})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/activity", {})
    notices = await receiver.wait_notices(3)
    events = set()
    for notice in notices:
        assert signature_ok(world.secret, notice)
        assert notice.headers["Polar-Webhook-Event"] == notice.json["event"]
        assert notice.json["user_id"] == world.user_id
        assert notice.json["url"].startswith(sim.url + "/v3/")
        events.add(notice.json["event"])
        assert not signature_ok("other-secret", notice)
    assert events == {"EXERCISE", "SLEEP", "ACTIVITY_SUMMARY"}
    sleep = next(n.json for n in notices if n.json["event"] == "SLEEP")
    assert sleep["date"] == "2026-01-02"
    assert sleep["url"] == f"{sim.url}/v3/users/sleep/2026-01-02"


async def test_only_subscribed_events_and_registered_users(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver, events=["SLEEP"])
    stranger = await sim.ctl("POST", "/_sim/users", {})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.ctl("POST", f"/_sim/users/{stranger['user_id']}/sleep", {})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleep", {})
    await sim.wait_idle()
    assert [n.json["event"] for n in receiver.notices] == ["SLEEP"]
    assert receiver.notices[0].json["user_id"] == world.user_id


async def test_retries_and_delivery_log(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    receiver.script = [500, 503]
    result = await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    assert len(receiver.notices) == 3
    assert len({n.body for n in receiver.notices}) == 1
    log = await sim.ctl("GET", "/_sim/deliveries?kind=push")
    attempts = [(d["attempt"], d["status"], d["ok"]) for d in log["deliveries"]]
    assert attempts == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert all(d["notice_id"] == result["notice"]["notice_id"] for d in log["deliveries"])


async def test_retries_give_up_after_schedule(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    receiver.default_status = 500
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    assert len(receiver.notices) == 3  # first attempt + two retries in the test config
    hooks = await _webhooks(sim, world)
    assert hooks[0]["active"] is True


async def test_automatic_deactivation_after_period(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    receiver.default_status = 500
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    await sim.ctl("POST", "/_sim/clock", {"advance": 6 * 86400})
    assert (await _webhooks(sim, world))[0]["active"] is True
    await sim.ctl("POST", "/_sim/clock", {"advance": 86400})
    assert (await _webhooks(sim, world))[0]["active"] is False
    before = len(receiver.received)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    assert len(receiver.received) == before  # inactive: nothing pushed
    receiver.default_status = 200
    async with sim.session.post(sim.url + "/v3/webhooks/activate", headers=world.basic) as resp:
        assert resp.status == 200
    assert receiver.received[-1].json["event"] == "PING"
    assert (await _webhooks(sim, world))[0]["active"] is True


async def test_success_resets_failure_period(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    receiver.script = [500, 500, 500]
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    await sim.ctl("POST", "/_sim/clock", {"advance": 5 * 86400})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    await sim.ctl("POST", "/_sim/clock", {"advance": 3 * 86400})
    assert (await _webhooks(sim, world))[0]["active"] is True


async def test_activate_fails_when_ping_fails(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    async with sim.session.post(sim.url + "/v3/webhooks/deactivate", headers=world.basic) as resp:
        assert resp.status == 200
    assert (await _webhooks(sim, world))[0]["active"] is False
    receiver.default_status = 500
    async with sim.session.post(sim.url + "/v3/webhooks/activate", headers=world.basic) as resp:
        assert resp.status == 400
    assert (await _webhooks(sim, world))[0]["active"] is False


async def test_activate_and_deactivate_without_webhook(sim: Sim) -> None:
    world = await sim.world()
    for action in ("activate", "deactivate"):
        async with sim.session.post(
            sim.url + f"/v3/webhooks/{action}", headers=world.basic
        ) as resp:
            assert resp.status == 204


async def test_patch_pings_new_url_and_updates(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    other = receiver.url.replace("/hook", "/other")
    async with sim.session.patch(
        sim.url + f"/v3/webhooks/{world.webhook_id}",
        json={"url": other, "events": ["SLEEP"]},
        headers=world.basic,
    ) as resp:
        assert resp.status == 200
        data = (await resp.json())["data"]
    assert data == [{"id": world.webhook_id, "events": ["SLEEP"], "url": other, "active": True}]
    assert receiver.received[-1].json["event"] == "PING"
    receiver.default_status = 500
    async with sim.session.patch(
        sim.url + f"/v3/webhooks/{world.webhook_id}",
        json={"url": receiver.url},
        headers=world.basic,
    ) as resp:
        assert resp.status == 400
    assert (await _webhooks(sim, world))[0]["url"] == other
    async with sim.session.patch(
        sim.url + "/v3/webhooks/unknown", json={"events": ["SLEEP"]}, headers=world.basic
    ) as resp:
        assert resp.status == 404


async def test_delete_then_recreate_rotates_secret(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    async with sim.session.delete(
        sim.url + f"/v3/webhooks/{world.webhook_id}", headers=world.basic
    ) as resp:
        assert resp.status == 204
    async with sim.session.delete(
        sim.url + f"/v3/webhooks/{world.webhook_id}", headers=world.basic
    ) as resp:
        assert resp.status == 404
    assert await _webhooks(sim, world) == []
    status, body = await _create(sim, world, receiver.url)
    assert status == 201
    assert body["data"]["signature_secret_key"] != world.secret


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": [], "url": "http://127.0.0.1:1/x"},
        {"events": ["PING"], "url": "http://127.0.0.1:1/x"},
        {"events": ["EXERCISE"]},
        {"events": ["EXERCISE"], "url": "not a url"},
        {"events": "EXERCISE", "url": "http://127.0.0.1:1/x"},
        {"events": ["EXERCISE"], "url": 5},
        [1, 2],
    ],
)
async def test_create_validation(sim: Sim, body: Any) -> None:
    world = await sim.world()
    async with sim.session.post(sim.url + "/v3/webhooks", json=body, headers=world.basic) as resp:
        assert resp.status == 400
        assert (await resp.json())["status"] == 400


async def test_control_deactivate_and_delete(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    hook = await sim.ctl("GET", f"/_sim/clients/{world.client_id}/webhook")
    assert hook["secret"] == world.secret
    await sim.ctl("POST", f"/_sim/clients/{world.client_id}/webhook/deactivate", {})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await sim.wait_idle()
    assert receiver.notices == []
    await sim.ctl("DELETE", f"/_sim/clients/{world.client_id}/webhook", status=204)
    assert await _webhooks(sim, world) == []


async def test_delivery_abandoned_when_webhook_deleted(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    receiver.default_status = 500
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {})
    await receiver.wait_notices(1)
    await sim.ctl("DELETE", f"/_sim/clients/{world.client_id}/webhook", status=204)
    await sim.wait_idle()
    log = await sim.ctl("GET", "/_sim/deliveries?kind=push")
    assert "abandoned" in (log["deliveries"][-1]["error"] or "")
    await asyncio.sleep(0)
