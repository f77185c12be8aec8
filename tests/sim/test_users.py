"""POST/GET/DELETE /v3/users."""

from __future__ import annotations

from .util import REDIRECT, Sim


async def _token(sim: Sim, client_id: str, user_id: int) -> dict[str, str]:
    """Mint a bearer header through the control API."""
    token = await sim.ctl("POST", f"/_sim/users/{user_id}/tokens", {"client_id": client_id})
    return {"Authorization": f"Bearer {token['access_token']}"}


async def test_register_conflicts_and_consents(sim: Sim) -> None:
    client = await sim.ctl("POST", "/_sim/clients", {"redirect_uris": [REDIRECT]})
    alice = await sim.ctl("POST", "/_sim/users", {"first_name": "Alice"})
    bob = await sim.ctl("POST", "/_sim/users", {"consents": False})
    carol = await sim.ctl("POST", "/_sim/users", {})
    h_alice = await _token(sim, client["client_id"], alice["user_id"])
    async with sim.session.post(
        sim.url + "/v3/users", json={"member-id": "m1"}, headers=h_alice
    ) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["polar-user-id"] == alice["user_id"]
    assert body["member-id"] == "m1"
    assert body["first-name"] == "Alice"
    async with sim.session.post(
        sim.url + "/v3/users", json={"member-id": "m2"}, headers=h_alice
    ) as resp:
        assert resp.status == 409
    h_carol = await _token(sim, client["client_id"], carol["user_id"])
    async with sim.session.post(
        sim.url + "/v3/users", json={"member-id": "m1"}, headers=h_carol
    ) as resp:
        assert resp.status == 409  # duplicate member-id
    h_bob = await _token(sim, client["client_id"], bob["user_id"])
    async with sim.session.post(
        sim.url + "/v3/users", json={"member-id": "m3"}, headers=h_bob
    ) as resp:
        assert resp.status == 403
    async with sim.session.get(sim.url + "/v3/exercises", headers=h_bob) as resp:
        assert resp.status == 403
    await sim.ctl("PATCH", f"/_sim/users/{bob['user_id']}", {"consents": True})
    async with sim.session.post(
        sim.url + "/v3/users", json={"member-id": "m3"}, headers=h_bob
    ) as resp:
        assert resp.status == 200


async def test_get_and_delete_user_revokes_token(sim: Sim) -> None:
    world = await sim.world()
    async with sim.session.get(
        sim.url + f"/v3/users/{world.user_id}", headers=world.bearer
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["member-id"] == f"m-{world.user_id}"
    async with sim.session.get(
        sim.url + f"/v3/users/{world.user_id + 1}", headers=world.bearer
    ) as resp:
        assert resp.status == 403
    async with sim.session.delete(
        sim.url + f"/v3/users/{world.user_id}", headers=world.bearer
    ) as resp:
        assert resp.status == 204
    async with sim.session.get(
        sim.url + f"/v3/users/{world.user_id}", headers=world.bearer
    ) as resp:
        assert resp.status == 401
    state = await sim.ctl("GET", f"/_sim/users/{world.user_id}")
    assert state["registered_to"] == []


async def test_get_unregistered_user_is_204(sim: Sim) -> None:
    client = await sim.ctl("POST", "/_sim/clients", {})
    user = await sim.ctl("POST", "/_sim/users", {})
    headers = await _token(sim, client["client_id"], user["user_id"])
    async with sim.session.get(sim.url + f"/v3/users/{user['user_id']}", headers=headers) as resp:
        assert resp.status == 204


async def test_register_validation(sim: Sim) -> None:
    world = await sim.world()
    for body in (b"", b"{", b"[]", b'{"member-id": 5}', b'{"member-id": ""}'):
        async with sim.session.post(
            sim.url + "/v3/users",
            data=body,
            headers={**world.bearer, "Content-Type": "application/json"},
        ) as resp:
            assert resp.status == 400, body
    async with sim.session.post(sim.url + "/v3/users", json={"member-id": "x"}) as resp:
        assert resp.status == 401


async def test_revoke_through_control(sim: Sim) -> None:
    world = await sim.world()
    result = await sim.ctl("POST", f"/_sim/users/{world.user_id}/revoke", {})
    assert result == {"revoked": 1}
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        assert resp.status == 401


async def test_token_expiry(sim: Sim) -> None:
    world = await sim.world()
    await sim.ctl("POST", "/_sim/clock", {"advance": 31536000})
    async with sim.session.get(sim.url + "/v3/exercises", headers=world.bearer) as resp:
        assert resp.status == 401
