"""OAuth2 authorization-code conformance of /oauth2/authorization and /v2/oauth2/token."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .util import REDIRECT, Sim, basic

OTHER = "http://127.0.0.1:5555/other"


async def _client(sim: Sim, **extra: Any) -> dict[str, Any]:
    """Create a client with two redirect URLs and one user."""
    client = await sim.ctl(
        "POST", "/_sim/clients", {"redirect_uris": [REDIRECT, OTHER], "auto_approve": True, **extra}
    )
    await sim.ctl("POST", "/_sim/users", {})
    return client


async def test_full_code_grant_with_basic(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"], redirect_uri=REDIRECT, state="s-1")
    assert query["state"] == ["s-1"]
    status, token = await sim.token(
        client["client_id"], client["client_secret"], query["code"][0], REDIRECT
    )
    assert status == 200
    assert set(token) == {"access_token", "token_type", "expires_in", "x_user_id"}
    assert token["token_type"] == "bearer"
    assert token["expires_in"] >= 31535999
    assert isinstance(token["x_user_id"], int)
    async with sim.session.post(
        sim.url + "/v3/users",
        json={"member-id": "abc"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ) as resp:
        assert resp.status == 200


async def test_wrong_client_secret(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    status, body = await sim.token(client["client_id"], "wrong", query["code"][0])
    assert status == 401
    assert body["error"] == "invalid_client"
    # the code is still good for the right secret
    status, _ = await sim.token(client["client_id"], client["client_secret"], query["code"][0])
    assert status == 200


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", "Basic " + "//79/w==", "Bearer abc", "Basic Y2xpZW50"],
)
async def test_malformed_client_auth(sim: Sim, header: str) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    async with sim.session.post(
        sim.url + "/v2/oauth2/token",
        data={"grant_type": "authorization_code", "code": query["code"][0]},
        headers={"Authorization": header},
    ) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"] == "invalid_client"


async def test_client_secret_post_is_not_accepted(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    async with sim.session.post(sim.url + "/v2/oauth2/token", data=form) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"] == "invalid_client"


async def test_reused_code_is_rejected_and_revokes_tokens(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    code = query["code"][0]
    status, token = await sim.token(client["client_id"], client["client_secret"], code)
    assert status == 200
    status, body = await sim.token(client["client_id"], client["client_secret"], code)
    assert status == 400
    assert body["error"] == "invalid_grant"
    async with sim.session.get(
        sim.url + "/v3/exercises", headers={"Authorization": f"Bearer {token['access_token']}"}
    ) as resp:
        assert resp.status == 401


async def test_expired_code(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    await sim.ctl("POST", "/_sim/clock", {"advance": 601})
    status, body = await sim.token(client["client_id"], client["client_secret"], query["code"][0])
    assert status == 400
    assert body["error"] == "invalid_grant"


async def test_code_valid_just_before_expiry(sim: Sim) -> None:
    client = await _client(sim)
    query = await sim.authorize(client["client_id"])
    await sim.ctl("POST", "/_sim/clock", {"advance": 590})
    status, _ = await sim.token(client["client_id"], client["client_secret"], query["code"][0])
    assert status == 200


@pytest.mark.parametrize(
    ("at_authorize", "at_token", "ok"),
    [
        (REDIRECT, REDIRECT, True),
        (None, None, True),
        (REDIRECT, None, False),
        (REDIRECT, OTHER, False),
        (None, REDIRECT, False),
    ],
)
async def test_redirect_uri_rules(
    sim: Sim, at_authorize: str | None, at_token: str | None, ok: bool
) -> None:
    client = await _client(sim)
    params = {"redirect_uri": at_authorize} if at_authorize else {}
    query = await sim.authorize(client["client_id"], **params)
    status, body = await sim.token(
        client["client_id"], client["client_secret"], query["code"][0], at_token
    )
    if ok:
        assert status == 200, body
    else:
        assert status == 400
        assert body["error"] in {"invalid_grant", "invalid_request"}


async def test_unregistered_redirect_uri_is_not_redirected_to(sim: Sim) -> None:
    client = await _client(sim)
    async with sim.session.get(
        sim.url + "/oauth2/authorization",
        params={
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": "http://127.0.0.1:1/evil",
        },
        allow_redirects=False,
    ) as resp:
        assert resp.status == 400
        assert "Location" not in resp.headers


async def test_unknown_client_at_authorize(sim: Sim) -> None:
    await sim.ctl("POST", "/_sim/users", {})
    async with sim.session.get(
        sim.url + "/oauth2/authorization",
        params={"response_type": "code", "client_id": "nope"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 400


async def test_unsupported_response_type_redirects_with_error(sim: Sim) -> None:
    client = await _client(sim)
    async with sim.session.get(
        sim.url + "/oauth2/authorization",
        params={"response_type": "token", "client_id": client["client_id"], "state": "z"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 302
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
        assert query["error"] == ["unsupported_response_type"]
        assert query["state"] == ["z"]


async def test_consent_page_then_deny(sim: Sim) -> None:
    client = await _client(sim, auto_approve=False)
    params = {"response_type": "code", "client_id": client["client_id"], "state": "st8"}
    async with sim.session.get(sim.url + "/oauth2/authorization", params=params) as resp:
        assert resp.status == 200
        page = await resp.text()
        assert 'value="approve"' in page
        assert 'value="deny"' in page
    async with sim.session.post(
        sim.url + "/oauth2/authorization",
        data={**params, "decision": "deny"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st8"]
    assert "code" not in query


async def test_consent_page_approve_with_chosen_user(sim: Sim) -> None:
    client = await _client(sim, auto_approve=False)
    second = await sim.ctl("POST", "/_sim/users", {"first_name": "Second"})
    params = {"response_type": "code", "client_id": client["client_id"], "state": "a"}
    async with sim.session.post(
        sim.url + "/oauth2/authorization",
        data={**params, "decision": "approve", "user": str(second["user_id"])},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 302
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["a"]
    status, token = await sim.token(client["client_id"], client["client_secret"], query["code"][0])
    assert status == 200
    assert token["x_user_id"] == second["user_id"]


async def test_current_user_setting_and_global_auto_approve(sim: Sim) -> None:
    client = await sim.ctl("POST", "/_sim/clients", {"redirect_uris": [REDIRECT]})
    await sim.ctl("POST", "/_sim/users", {})
    second = await sim.ctl("POST", "/_sim/users", {})
    await sim.ctl(
        "POST", "/_sim/settings", {"auto_approve": True, "current_user": second["user_id"]}
    )
    query = await sim.authorize(client["client_id"])
    status, token = await sim.token(client["client_id"], client["client_secret"], query["code"][0])
    assert status == 200
    assert token["x_user_id"] == second["user_id"]


async def test_token_endpoint_rejects_other_grants(sim: Sim) -> None:
    client = await _client(sim)
    async with sim.session.post(
        sim.url + "/v2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers=basic(client["client_id"], client["client_secret"]),
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "unsupported_grant_type"


async def test_code_of_another_client(sim: Sim) -> None:
    first = await _client(sim)
    second = await sim.ctl(
        "POST", "/_sim/clients", {"redirect_uris": [REDIRECT], "auto_approve": True}
    )
    query = await sim.authorize(first["client_id"])
    status, body = await sim.token(second["client_id"], second["client_secret"], query["code"][0])
    assert status == 400
    assert body["error"] == "invalid_grant"
