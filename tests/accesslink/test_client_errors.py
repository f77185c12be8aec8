"""How the client maps HTTP errors, bad bodies, timeouts and connection failures."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConflictError,
    AccessLinkConnectionError,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkHttpError,
    AccessLinkNotFoundError,
    AccessLinkRateLimitError,
    AccessLinkRequestError,
    AccessLinkResponseError,
    AccessLinkServerError,
    AccessLinkTimeoutError,
)

from .conftest import TOKEN, FakeAccessLink
from .payloads import ERROR_OBSERVED_SHAPE, ERROR_SPEC_SHAPE

if TYPE_CHECKING:
    import aiohttp

STATUSES: list[tuple[int, type[AccessLinkHttpError]]] = [
    (400, AccessLinkRequestError),
    (401, AccessLinkAuthError),
    (403, AccessLinkConsentError),
    (404, AccessLinkNotFoundError),
    (405, AccessLinkRequestError),
    (409, AccessLinkConflictError),
    (429, AccessLinkRateLimitError),
    (500, AccessLinkServerError),
    (502, AccessLinkServerError),
    (503, AccessLinkServerError),
]


@pytest.mark.parametrize(("status", "error"), STATUSES)
@pytest.mark.parametrize(
    "shape", [ERROR_SPEC_SHAPE, ERROR_OBSERVED_SHAPE], ids=["spec-shape", "observed-shape"]
)
async def test_http_errors_with_json_body(
    server: FakeAccessLink,
    client: AccessLinkClient,
    status: int,
    error: type[AccessLinkHttpError],
    shape: dict[str, Any],
) -> None:
    server.reply("GET", "/v3/exercises", status, json_body=shape)
    with pytest.raises(error) as info:
        await client.list_exercises(TOKEN)
    assert type(info.value) is error
    assert info.value.status == status
    assert info.value.error_type == "WebhookPingFailedException"
    assert info.value.message == "Webhook ping failed"
    assert info.value.corr_id == "corr-123"
    assert str(info.value) == (
        f"HTTP {status} WebhookPingFailedException: Webhook ping failed (corr_id corr-123)"
    )


@pytest.mark.parametrize(("status", "error"), STATUSES)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<html><body>Bad gateway</body></html>", "<html><body>Bad gateway</body></html>"),
        ("", None),
        ("\xff\xfe", "\xff\xfe"),
        ("[1, 2]", None),
        ("x" * 500, "x" * 200),
    ],
    ids=["html", "empty", "latin", "json-array", "long-text"],
)
async def test_http_errors_with_other_bodies(
    server: FakeAccessLink,
    client: AccessLinkClient,
    *,
    status: int,
    error: type[AccessLinkHttpError],
    body: str,
    message: str | None,
) -> None:
    server.reply("GET", "/v3/users/475", status, body=body)
    with pytest.raises(error) as info:
        await client.get_user(TOKEN, 475)
    assert info.value.status == status
    assert info.value.message == message
    assert (info.value.error_type, info.value.corr_id) == (None, None)


@pytest.mark.parametrize(
    ("body", "error_type", "message"),
    [
        (
            {"error": "invalid_grant", "error_description": "code used"},
            "invalid_grant",
            "code used",
        ),
        ({"error": "invalid_request"}, "invalid_request", None),
        ({"errorType": 5, "error_type": "Snake", "message": ["x"]}, "Snake", None),
        ({"error": {"message": "nested only"}}, None, "nested only"),
    ],
    ids=["oauth-style", "oauth-no-description", "mixed-types", "nested-message"],
)
async def test_error_body_variants(
    server: FakeAccessLink,
    client: AccessLinkClient,
    body: dict[str, Any],
    error_type: str | None,
    message: str | None,
) -> None:
    server.reply("POST", "/v3/users", 400, json_body=body)
    with pytest.raises(AccessLinkRequestError) as info:
        await client.register_user(TOKEN, "m")
    assert (info.value.error_type, info.value.message) == (error_type, message)


async def test_error_without_details_has_a_plain_message() -> None:
    assert str(AccessLinkServerError(None)) == "HTTP error"
    assert str(AccessLinkServerError(503)) == "HTTP 503"


async def test_conflict_on_register(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("POST", "/v3/users", 409, json_body={"message": "User already registered"})
    with pytest.raises(AccessLinkConflictError, match="already registered"):
        await client.register_user(TOKEN, "m")


async def test_consent_on_register(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("POST", "/v3/users", 403)
    with pytest.raises(AccessLinkConsentError):
        await client.register_user(TOKEN, "m")


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        (
            {
                "RateLimit-Usage": "520, 600",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "123, 45000",
            },
            123.0,
        ),
        (
            {
                "RateLimit-Usage": "100, 5100",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "123, 45000",
            },
            45000.0,
        ),
        ({"Retry-After": "30"}, 30.0),
        ({}, 60.0),
    ],
    ids=["short-window", "long-window", "retry-after", "default"],
)
async def test_rate_limited(
    server: FakeAccessLink,
    client: AccessLinkClient,
    headers: dict[str, str],
    retry_after: float,
) -> None:
    server.reply("GET", "/v3/exercises", 429, json_body=ERROR_SPEC_SHAPE, headers=headers)
    with pytest.raises(AccessLinkRateLimitError) as info:
        await client.list_exercises(TOKEN)
    assert info.value.retry_after == retry_after
    assert (client.rate_limit is not None) is ("RateLimit-Usage" in headers)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed(
    server: FakeAccessLink,
    other_server: FakeAccessLink,
    client: AccessLinkClient,
    status: int,
) -> None:
    other_server.reply("GET", "/v3/exercises", json_body=[])
    server.reply(
        "GET", "/v3/exercises", status, headers={"Location": f"{other_server.url}/v3/exercises"}
    )
    with pytest.raises(AccessLinkResponseError, match=f"unexpected HTTP status {status}"):
        await client.list_exercises(TOKEN)
    assert other_server.requests == []


@pytest.mark.parametrize(
    "body",
    ["{not json", '{"id": "x"', b"\xff\xfe\x00garbage".decode("latin-1"), "NaN-ish"],
    ids=["broken", "truncated", "binary", "text"],
)
async def test_invalid_json(server: FakeAccessLink, client: AccessLinkClient, body: str) -> None:
    server.reply("GET", "/v3/exercises/x", body=body.encode("latin-1"))
    with pytest.raises(AccessLinkResponseError, match="invalid JSON"):
        await client.get_exercise(TOKEN, "x")


async def test_timeout(server: FakeAccessLink, session: aiohttp.ClientSession) -> None:
    server.reply("GET", "/v3/exercises", json_body=[], delay=5)
    client = AccessLinkClient(session, api_url=server.url, request_timeout=0.2)
    with pytest.raises(AccessLinkTimeoutError, match=r"no answer within 0\.2 s"):
        await client.list_exercises(TOKEN)
    assert len(server.requests) == 1


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    client = AccessLinkClient(session, api_url=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(AccessLinkConnectionError, match="GET /v3/exercises"):
        await client.list_exercises(TOKEN)


async def test_server_disconnects(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises", json_body=[], drop=True)
    with pytest.raises(AccessLinkConnectionError):
        await client.list_exercises(TOKEN)


@pytest.mark.parametrize(
    "error",
    [
        AccessLinkAuthError,
        AccessLinkConnectionError,
        AccessLinkResponseError,
        AccessLinkTimeoutError,
        AccessLinkRateLimitError,
    ],
)
def test_all_errors_are_access_link_errors(error: type[Exception]) -> None:
    assert issubclass(error, AccessLinkError)


def test_error_body_fixtures_are_json() -> None:
    assert json.loads(json.dumps(ERROR_OBSERVED_SHAPE))["error"]["corr_id"] == "corr-123"
