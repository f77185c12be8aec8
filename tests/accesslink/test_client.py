"""Every client call against a real local server: what it sends and what it returns."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    DEFAULT_API_URL,
    AccessLinkClient,
    AccessLinkCredentialsError,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    CreatedWebhook,
    EventType,
    Exercise,
    InvalidIdError,
    Notice,
    RateLimit,
    UserInfo,
    WebhookInfo,
    generate_member_id,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, TOKEN, FakeAccessLink
from .payloads import CREATED_WEBHOOK, EXERCISE, EXERCISE_WITH_DETAILS, USER, WEBHOOK_LIST

if TYPE_CHECKING:
    import aiohttp

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
BEARER = f"Bearer {TOKEN}"


def _assert_sent(
    server: FakeAccessLink,
    method: str,
    path: str,
    authorization: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> None:
    request = server.last
    assert (request.method, request.path) == (method, path)
    assert request.headers["Authorization"] == authorization
    assert request.headers["Accept"] == "application/json"
    assert request.query == (query or {})
    if body is None:
        assert request.body == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert request.json() == body


async def test_defaults(session: aiohttp.ClientSession) -> None:
    client = AccessLinkClient(session)
    assert client.api_url == DEFAULT_API_URL
    assert client.rate_limit is None


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://api.example.com/prefix/?x=1#f", "https://api.example.com/prefix"),
    ],
)
def test_api_url_normalised(session: aiohttp.ClientSession, api_url: str, expected: str) -> None:
    assert AccessLinkClient(session, api_url=api_url).api_url == expected


@pytest.mark.parametrize(
    "api_url",
    [
        "",
        "www.polaraccesslink.com",
        "ftp://example.com",
        "https://user:pw@example.com",
        "http://[x",
    ],
)
def test_api_url_invalid(session: aiohttp.ClientSession, api_url: str) -> None:
    with pytest.raises(ValueError, match="AccessLink API URL"):
        AccessLinkClient(session, api_url=api_url)


async def test_base_path_prefix_is_kept(
    server: FakeAccessLink, session: aiohttp.ClientSession
) -> None:
    server.reply("GET", "/polar/v3/exercises", json_body=[])
    client = AccessLinkClient(session, api_url=f"{server.url}/polar/")
    assert await client.list_exercises(TOKEN) == []
    assert server.last.path == "/polar/v3/exercises"


def test_generate_member_id_is_fresh() -> None:
    ids = {generate_member_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(member_id) == 32 and member_id.isalnum() for member_id in ids)


async def test_register_user(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("POST", "/v3/users", json_body=USER)
    user = await client.register_user(TOKEN, "member-1")
    assert user == UserInfo.from_dict(USER)
    assert user.polar_user_id == 475
    _assert_sent(server, "POST", "/v3/users", BEARER, body={"member-id": "member-1"})


async def test_get_user(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/users/475", json_body=USER)
    user = await client.get_user(TOKEN, 475)
    assert user.name == "Eka Toka"
    _assert_sent(server, "GET", "/v3/users/475", BEARER)


@pytest.mark.parametrize("call", ["register", "get"])
async def test_user_no_content_is_not_found(
    server: FakeAccessLink, client: AccessLinkClient, call: str
) -> None:
    server.reply("POST", "/v3/users", 204)
    server.reply("GET", "/v3/users/475", 204)
    pending = (
        client.register_user(TOKEN, "m") if call == "register" else client.get_user(TOKEN, 475)
    )
    with pytest.raises(AccessLinkNotFoundError) as info:
        await pending
    assert info.value.status == 204


async def test_delete_user(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("DELETE", "/v3/users/475", 204)
    await client.delete_user(TOKEN, 475)
    _assert_sent(server, "DELETE", "/v3/users/475", BEARER)


async def test_list_exercises(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises", json_body=[EXERCISE, {"no": "id"}, EXERCISE_WITH_DETAILS])
    exercises = await client.list_exercises(TOKEN)
    assert [exercise.id for exercise in exercises] == ["2AC312F", "Zx9Qa1"]
    assert exercises[0] == Exercise.from_dict(EXERCISE)
    _assert_sent(server, "GET", "/v3/exercises", BEARER)


async def test_list_exercises_with_flags(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises", json_body=[EXERCISE_WITH_DETAILS])
    (exercise,) = await client.list_exercises(TOKEN, samples=True, route=True)
    assert exercise.route
    _assert_sent(server, "GET", "/v3/exercises", BEARER, query={"samples": "true", "route": "true"})


@pytest.mark.parametrize(("status", "body"), [(204, None), (200, ""), (200, "  \n")])
async def test_list_exercises_empty(
    server: FakeAccessLink, client: AccessLinkClient, status: int, body: str | None
) -> None:
    server.reply("GET", "/v3/exercises", status, body=body)
    assert await client.list_exercises(TOKEN) == []


async def test_list_exercises_not_a_list(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises", json_body={"exercises": []})
    with pytest.raises(AccessLinkResponseError, match="array"):
        await client.list_exercises(TOKEN)


async def test_get_exercise(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises/Zx9Qa1", json_body=EXERCISE_WITH_DETAILS)
    exercise = await client.get_exercise(TOKEN, "Zx9Qa1", samples=True, zones=True, route=True)
    assert exercise.heart_rate_zones[1].in_zone == dt.timedelta(minutes=40)
    _assert_sent(
        server,
        "GET",
        "/v3/exercises/Zx9Qa1",
        BEARER,
        query={"samples": "true", "zones": "true", "route": "true"},
    )


async def test_get_exercise_quotes_the_id(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/exercises/a/b?c", json_body={"id": "a/b?c"})
    exercise = await client.get_exercise(TOKEN, "a/b?c")
    assert exercise.id == "a/b?c"
    assert server.last.query == {}


@pytest.mark.parametrize("exercise_id", ["", ".", ".."])
async def test_get_exercise_refuses_path_tricks(
    server: FakeAccessLink, client: AccessLinkClient, exercise_id: str
) -> None:
    with pytest.raises(ValueError, match="path segment"):
        await client.get_exercise(TOKEN, exercise_id)
    assert server.requests == []


@pytest.mark.parametrize(
    "body",
    ['{"id": ""}', "[]", '"x"'],
    ids=["empty-id", "array", "string"],
)
async def test_get_exercise_unusable_body(
    server: FakeAccessLink, client: AccessLinkClient, body: str
) -> None:
    server.reply("GET", "/v3/exercises/x", body=body)
    with pytest.raises(AccessLinkResponseError, match="exercise"):
        await client.get_exercise(TOKEN, "x")


def _exercise_notice(url: str | None, entity_id: str | None = "Zx9Qa1") -> Notice:
    return Notice(
        event=EventType.EXERCISE,
        user_id=475,
        timestamp=None,
        url=url,
        entity_id=entity_id,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/v3/users/1",
        "/v3/exercises/../users/1",
        "/v3/exercises/%2e%2e/users/1",
        "/v3/exercises%2f..%2fusers%2f1",
        "/v3/exercises/Zx9Qa1/../../users/1",
        "/v3/exercises/other",
    ],
    ids=["users", "dot-dot", "encoded-dots", "encoded-slashes", "trailing-dot-dot", "other-id"],
)
async def test_get_notice_exercise_fetches_by_entity_id_only(
    server: FakeAccessLink, client: AccessLinkClient, path: str
) -> None:
    """Whatever path a notice's url names, only /v3/exercises/{entity_id} is requested."""
    server.reply("GET", "/v3/exercises/Zx9Qa1", json_body=EXERCISE_WITH_DETAILS)
    server.reply("GET", "/v3/users/1", json_body=USER)
    exercise = await client.get_notice_exercise(
        TOKEN, _exercise_notice(f"{server.url}{path}"), zones=True
    )
    assert exercise.id == "Zx9Qa1"
    _assert_sent(server, "GET", "/v3/exercises/Zx9Qa1", BEARER, query={"zones": "true"})


async def test_get_notice_exercise_url_is_only_a_hint(
    server: FakeAccessLink, client: AccessLinkClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A url naming another resource is logged at debug; a matching one is not."""
    server.reply("GET", "/v3/exercises/Zx9Qa1", json_body=EXERCISE_WITH_DETAILS)
    with caplog.at_level(logging.DEBUG):
        await client.get_notice_exercise(
            TOKEN, _exercise_notice(f"{server.url}/v3/exercises/Zx9Qa1")
        )
        assert "differs" not in caplog.text
        await client.get_notice_exercise(TOKEN, _exercise_notice(f"{server.url}/v3/users/1"))
    (record,) = [record for record in caplog.records if "differs" in record.getMessage()]
    assert record.levelno == logging.DEBUG
    assert [request.path for request in server.requests] == ["/v3/exercises/Zx9Qa1"] * 2


@pytest.mark.parametrize(
    "entity_id",
    [
        ".",
        "..",
        "a/b",
        "%2e%2e",
        "%2F",
        "a b",
        "a?b",
        "a#b",
        "\\..",
        "ä",
        pytest.param("x" * 129, id="too-long"),
        pytest.param("a\n", id="newline"),
    ],
)
async def test_get_notice_exercise_refuses_unsafe_ids(
    server: FakeAccessLink, client: AccessLinkClient, entity_id: str
) -> None:
    """An entity_id that is not one plain path segment is refused before any request."""
    with pytest.raises(InvalidIdError):
        await client.get_notice_exercise(TOKEN, _exercise_notice(None, entity_id=entity_id))
    assert server.requests == []


async def test_get_notice_exercise_accepts_plain_ids(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """Letters, digits, '-' and '_' up to 128 characters make an exercise id."""
    exercise_id = "aZ09-_" + "x" * 122
    server.reply("GET", f"/v3/exercises/{exercise_id}", json_body={"id": exercise_id})
    exercise = await client.get_notice_exercise(TOKEN, _exercise_notice(None, exercise_id))
    assert exercise.id == exercise_id


async def test_get_notice_exercise_from_entity_id(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    server.reply("GET", "/v3/exercises/Zx9Qa1", json_body=EXERCISE_WITH_DETAILS)
    exercise = await client.get_notice_exercise(TOKEN, _exercise_notice(None))
    assert exercise == Exercise.from_dict(EXERCISE_WITH_DETAILS)
    _assert_sent(server, "GET", "/v3/exercises/Zx9Qa1", BEARER)


@pytest.mark.parametrize(
    ("notice", "match"),
    [
        (
            Notice(event=EventType.SLEEP, user_id=1, timestamp=None, url=None),
            "not an EXERCISE notice",
        ),
        (_exercise_notice(None, entity_id=None), "not a usable exercise id"),
    ],
)
async def test_get_notice_exercise_unusable_notice(
    server: FakeAccessLink, client: AccessLinkClient, notice: Notice, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await client.get_notice_exercise(TOKEN, notice)
    assert server.requests == []


async def test_empty_token_is_refused(server: FakeAccessLink, client: AccessLinkClient) -> None:
    with pytest.raises(ValueError, match="access token"):
        await client.list_exercises("")
    assert server.requests == []


async def test_create_webhook(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("POST", "/v3/webhooks", 201, json_body=CREATED_WEBHOOK)
    created = await client.create_webhook(
        "https://ha.example.com/api/webhook/abc", (EventType.EXERCISE, EventType.SLEEP)
    )
    assert created == CreatedWebhook.from_dict(CREATED_WEBHOOK)
    assert created.signature_secret_key == "abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1"
    _assert_sent(
        server,
        "POST",
        "/v3/webhooks",
        BASIC,
        body={"events": ["EXERCISE", "SLEEP"], "url": "https://ha.example.com/api/webhook/abc"},
    )


async def test_create_webhook_unusable_answer(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    server.reply("POST", "/v3/webhooks", 201, json_body={"data": {"id": "x", "url": "u"}})
    with pytest.raises(AccessLinkResponseError, match="signature_secret_key"):
        await client.create_webhook("https://x", ["EXERCISE"])


async def test_list_webhooks(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/webhooks", json_body=WEBHOOK_LIST)
    assert await client.list_webhooks() == [WebhookInfo.from_dict(WEBHOOK_LIST["data"][0])]
    _assert_sent(server, "GET", "/v3/webhooks", BASIC)


@pytest.mark.parametrize(
    ("status", "json_body", "count"),
    [
        (200, {"data": []}, 0),
        (204, None, 0),
        (200, {}, 0),
        (200, {"data": WEBHOOK_LIST["data"][0]}, 1),
    ],
    ids=["empty-list", "no-content", "no-data", "single-object"],
)
async def test_list_webhooks_shapes(
    server: FakeAccessLink,
    client: AccessLinkClient,
    status: int,
    json_body: Any,
    count: int,
) -> None:
    server.reply("GET", "/v3/webhooks", status, json_body=json_body)
    assert len(await client.list_webhooks()) == count


@pytest.mark.parametrize(
    "json_body", [[], {"data": "x"}, {"data": [{"id": "x"}]}], ids=["array", "string", "no-url"]
)
async def test_list_webhooks_unusable(
    server: FakeAccessLink, client: AccessLinkClient, json_body: Any
) -> None:
    server.reply("GET", "/v3/webhooks", json_body=json_body)
    with pytest.raises(AccessLinkResponseError, match="webhook"):
        await client.list_webhooks()


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"url": "https://new.example.com/hook"}, {"url": "https://new.example.com/hook"}),
        ({"events": ["EXERCISE"]}, {"events": ["EXERCISE"]}),
        (
            {"url": "https://new.example.com/hook", "events": ("EXERCISE", "SLEEP")},
            {"url": "https://new.example.com/hook", "events": ["EXERCISE", "SLEEP"]},
        ),
    ],
    ids=["url", "events", "both"],
)
@pytest.mark.parametrize("wrapped", [False, True], ids=["data-object", "data-array"])
async def test_update_webhook(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kwargs: dict[str, Any],
    body: dict[str, Any],
    wrapped: bool,
) -> None:
    hook = {**WEBHOOK_LIST["data"][0], **body}
    server.reply("PATCH", "/v3/webhooks/abdf33", json_body={"data": [hook] if wrapped else hook})
    info = await client.update_webhook("abdf33", **kwargs)
    assert info.id == "abdf33"
    assert info.url == hook["url"]
    assert info.events == tuple(hook["events"])
    _assert_sent(server, "PATCH", "/v3/webhooks/abdf33", BASIC, body=body)


async def test_update_webhook_needs_a_change(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    with pytest.raises(ValueError, match="url or events"):
        await client.update_webhook("abdf33")
    assert server.requests == []


async def test_delete_webhook(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("DELETE", "/v3/webhooks/abdf33", 204)
    await client.delete_webhook("abdf33")
    _assert_sent(server, "DELETE", "/v3/webhooks/abdf33", BASIC)


@pytest.mark.parametrize("action", ["activate", "deactivate"])
@pytest.mark.parametrize(("status", "expected"), [(200, True), (204, False)])
async def test_webhook_state(
    server: FakeAccessLink,
    client: AccessLinkClient,
    action: str,
    status: int,
    expected: bool,
) -> None:
    server.reply("POST", f"/v3/webhooks/{action}", status)
    call = client.activate_webhook if action == "activate" else client.deactivate_webhook
    assert await call() is expected
    _assert_sent(server, "POST", f"/v3/webhooks/{action}", BASIC)


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"client_id": CLIENT_ID},
        {"client_secret": CLIENT_SECRET},
        {"client_id": "", "client_secret": "s"},
    ],
    ids=["none", "no-secret", "no-id", "empty-id"],
)
@pytest.mark.parametrize(
    "call",
    ["create", "list", "update", "delete", "activate", "deactivate"],
)
async def test_webhook_calls_need_credentials(
    server: FakeAccessLink,
    session: aiohttp.ClientSession,
    credentials: dict[str, Any],
    call: str,
) -> None:
    client = AccessLinkClient(session, api_url=server.url, **credentials)
    calls = {
        "create": lambda: client.create_webhook("https://x", ["EXERCISE"]),
        "list": client.list_webhooks,
        "update": lambda: client.update_webhook("abdf33", url="https://x"),
        "delete": lambda: client.delete_webhook("abdf33"),
        "activate": client.activate_webhook,
        "deactivate": client.deactivate_webhook,
    }
    with pytest.raises(AccessLinkCredentialsError, match="client_id and client_secret"):
        await calls[call]()
    assert server.requests == []


async def test_rate_limit_tracks_latest_headers(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    limits = {"RateLimit-Limit": "520, 5100", "RateLimit-Reset": "600, 80000"}
    server.reply(
        "GET", "/v3/exercises", json_body=[], headers={**limits, "RateLimit-Usage": "1, 2"}
    )
    server.reply("GET", "/v3/webhooks", json_body={"data": []})
    server.reply("DELETE", "/v3/users/475", 204, headers={**limits, "RateLimit-Usage": "3, 4"})
    await client.list_exercises(TOKEN)
    assert client.rate_limit == RateLimit(1, 2, 520, 5100, 600, 80000)
    await client.list_webhooks()
    assert client.rate_limit == RateLimit(1, 2, 520, 5100, 600, 80000)
    await client.delete_user(TOKEN, 475)
    assert client.rate_limit == RateLimit(3, 4, 520, 5100, 600, 80000)


async def test_debug_log_has_no_secrets(
    server: FakeAccessLink, client: AccessLinkClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="custom_components.polar_flow.accesslink")
    server.reply("GET", "/v3/exercises", json_body=[{"id": None}])
    server.reply("GET", "/v3/webhooks", json_body=WEBHOOK_LIST)
    await client.list_exercises(TOKEN)
    await client.list_webhooks()
    assert "GET /v3/exercises" in caplog.text
    for secret in (TOKEN, CLIENT_SECRET, BASIC.removeprefix("Basic ")):
        assert secret not in caplog.text
