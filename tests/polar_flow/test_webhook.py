"""The webhook handler and the Polar webhook lifecycle, over HTTP and as HA Cloud relays it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
import json
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.aiohttp import MockRequest

from custom_components.polar_flow.const import EVENT_EXERCISE

from .conftest import (
    EXTERNAL_URL,
    OTHER_USER_ID,
    USER_ID,
    PostWebhook,
    exercise_json,
    notice_json,
    requests_to,
    sign,
    webhook_url_sent,
)

pytestmark = pytest.mark.usefixtures("setup_integration")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the webhook answered, whichever way the request came."""

    status: int
    text: str


type Deliver = Callable[..., Awaitable[Answer]]


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)


def polar_headers(body: bytes, signature: str | None) -> dict[str, str]:
    """Return the headers Polar sends with body; signature "sign" signs it correctly."""
    headers = {"Content-Type": "application/json", "Polar-Webhook-Event": "EXERCISE"}
    if signature == "sign":
        headers["Polar-Webhook-Signature"] = sign(body)
    elif signature is not None:
        headers["Polar-Webhook-Signature"] = signature
    return headers


def cloud_request(body: bytes, headers: dict[str, str]) -> MockRequest:
    """Build the request as Home Assistant Cloud does for a cloudhook delivery."""
    return MockRequest(
        content=body,
        headers=headers,
        method="POST",
        query_string="",
        mock_source="cloud",
        remote=None,
    )


def hook_id(polar_api: AiohttpClientMocker) -> str:
    """Return the Home Assistant webhook id Polar was given."""
    return URL(webhook_url_sent(polar_api)).name


@pytest.fixture(params=["http", "cloud"])
def deliver(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> Deliver:
    """Deliver a request over plain HTTP, or through a cloudhook as HA Cloud relays it."""

    async def _deliver(
        payload: Any, *, raw: bytes | None = None, signature: str | None = "sign"
    ) -> Answer:
        if request.param == "http":
            response = await post_webhook(payload, raw=raw, signature=signature)
            return Answer(response.status, await response.text())
        body = raw if raw is not None else json.dumps(payload).encode()
        answer = await webhook.async_handle_webhook(
            hass, hook_id(polar_api), cloud_request(body, polar_headers(body, signature))
        )
        return Answer(answer.status, answer.text or "")

    return _deliver


async def test_registers_webhook_with_polar(polar_api: AiohttpClientMocker) -> None:
    """The webhook is created at Polar for the external URL, subscribed to EXERCISE."""
    url = webhook_url_sent(polar_api)
    assert url.startswith(f"{EXTERNAL_URL}/api/webhook/")
    create = next(c for c in polar_api.mock_calls if c[0] == "POST" and "webhooks" in str(c[1]))
    assert create[2]["events"] == ["EXERCISE"]
    assert create[3]["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("payload", "raw", "signature", "status"),
    [
        pytest.param(
            {"event": "PING", "timestamp": "2026-11-27T10:00:00Z"}, None, None, 200, id="ping"
        ),
        pytest.param(notice_json("EX1"), None, "sign", 200, id="valid"),
        pytest.param(notice_json("EX1"), None, None, 401, id="missing-signature"),
        pytest.param(notice_json("EX1"), None, "0" * 64, 401, id="bad-signature"),
        pytest.param(notice_json("EX1"), None, "not hex", 401, id="garbage-signature"),
        pytest.param(None, b"{not json", None, 401, id="unsigned-malformed-json"),
        # Once the signature holds, Polar always gets a 2xx: what cannot be used is dropped.
        pytest.param(None, b"{not json", "sign", 200, id="malformed-json"),
        pytest.param({"event": "EXERCISE"}, None, "sign", 200, id="wrong-schema"),
        pytest.param(notice_json("EX1", user_id="x"), None, "sign", 200, id="bad-user-id"),
        pytest.param(
            {**notice_json("EX1"), "entity_id": None}, None, "sign", 200, id="no-entity-id"
        ),
        pytest.param([1, 2], None, "sign", 200, id="json-array"),
        pytest.param(None, b"[" * 100_000, "sign", 413, id="oversized-nesting"),
        pytest.param(None, b"[" * 60_000, "sign", 200, id="deep-nesting"),
        pytest.param(
            None, b'{"event": "EXERCISE", "user_id": Infinity}', "sign", 200, id="infinity"
        ),
        pytest.param(notice_json("EX1", user_id=True), None, "sign", 200, id="boolean-user-id"),
        pytest.param(
            notice_json("EX1", user_id="12345678"), None, "sign", 200, id="string-user-id"
        ),
        pytest.param(None, b"x" * 70_000, "sign", 413, id="oversized"),
        pytest.param(
            notice_json("EX1", user_id=OTHER_USER_ID), None, "sign", 200, id="unknown-user"
        ),
        pytest.param(
            {**notice_json("EX1"), "event": "SLEEP"}, None, "sign", 200, id="unsubscribed-event"
        ),
        pytest.param(notice_json("EX1", url=None), None, "sign", 200, id="url-null"),
        pytest.param(notice_json("EX1", timestamp=None), None, "sign", 200, id="timestamp-null"),
        pytest.param(notice_json("EX1", timestamp=5), None, "sign", 200, id="timestamp-number"),
        pytest.param(
            {k: v for k, v in notice_json("EX1").items() if k not in ("url", "timestamp")},
            None,
            "sign",
            200,
            id="url-and-timestamp-missing",
        ),
        pytest.param(notice_json("EX1", url="x" * 3000), None, "sign", 200, id="url-too-long"),
        pytest.param(
            {**notice_json("EX1"), "event": "SOMETHING_NEW"}, None, "sign", 200, id="unknown-event"
        ),
        pytest.param({**notice_json("EX1"), "event": 7}, None, "sign", 200, id="numeric-event"),
    ],
)
async def test_handler_matrix(
    hass: HomeAssistant,
    deliver: Deliver,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    payload: Any,
    raw: bytes | None,
    signature: str | None,
    status: int,
) -> None:
    """Each request gets its status; only a usable notice of a known user fetches and fires."""
    answer = await deliver(payload, raw=raw, signature=signature)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert answer.status == status
    assert answer.text
    valid = (
        status == 200
        and isinstance(payload, dict)
        and payload.get("event") == "EXERCISE"
        and payload.get("user_id") in {USER_ID, str(USER_ID)}
        and bool(payload.get("entity_id"))
    )
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == (1 if valid else 0)
    assert len(events) == (1 if valid else 0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_numeric_entity_id_fetches_that_exercise(
    hass: HomeAssistant,
    deliver: Deliver,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """A signed notice whose entity_id is a number is answered 200 and fetches that exercise."""
    polar_api.get("https://www.polaraccesslink.com/v3/exercises/123", json=exercise_json("123"))
    notice = notice_json("EX1", entity_id=123, url=None)
    answer = await deliver(notice)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert answer.status == HTTPStatus.OK
    assert requests_to(polar_api, "GET", "/v3/exercises/123") == 1
    assert [event.data["exercise_id"] for event in events] == ["123"]


async def test_foreign_url_is_never_fetched(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """A notice pointing anywhere but the AccessLink API is fetched by its id from the API."""
    polar_api.get("https://evil.example.com/v3/exercises/EX1", json=exercise_json("EX1"))
    notice = notice_json("EX1", url="https://evil.example.com/v3/exercises/EX1")
    response = await post_webhook(notice)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == HTTPStatus.OK
    assert not any("evil.example.com" in str(call[1]) for call in polar_api.mock_calls)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert [event.data["exercise_id"] for event in events] == ["EX1"]


async def test_duplicate_notice_publishes_once(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """The same notice twice, even back to back, fetches and fires once."""
    first = await post_webhook(notice_json("EX1"))
    second = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    third = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [first.status, second.status, third.status] == [200, 200, 200]
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert len(events) == 1


async def test_malformed_requests_leave_no_traceback(
    hass: HomeAssistant, post_webhook: PostWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    """Bad input is answered with a reason and logs no error; signed input always gets 200."""
    for raw in (b"", b"\x00\xff", b"null", b'{"event": 5}', "ä".encode("utf-16")):
        for signature, status in (("sign", 200), (None, 401)):
            response = await post_webhook(None, raw=raw, signature=signature)
            assert response.status == status
            assert await response.text()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Traceback" not in caplog.text
    assert "ERROR" not in caplog.text


async def test_ping_is_answered_before_create_returns(ping_statuses: list[int]) -> None:
    """Polar pings the URL while creating the webhook: the handler was already live."""
    assert ping_statuses == [200]
