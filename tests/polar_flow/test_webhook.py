"""The webhook handler and the Polar webhook lifecycle, driven over HTTP."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant

from custom_components.polar_flow.const import EVENT_EXERCISE

from .conftest import (
    EXTERNAL_URL,
    OTHER_USER_ID,
    USER_ID,
    PostWebhook,
    exercise_json,
    notice_json,
    requests_to,
    webhook_url_sent,
)

pytestmark = pytest.mark.usefixtures("setup_integration")


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)


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
        pytest.param(None, b"{not json", "sign", 400, id="malformed-json"),
        pytest.param({"event": "EXERCISE"}, None, "sign", 400, id="wrong-schema"),
        pytest.param(notice_json("EX1", user_id="x"), None, "sign", 400, id="bad-user-id"),
        pytest.param(
            {**notice_json("EX1"), "entity_id": None}, None, "sign", 400, id="no-entity-id"
        ),
        pytest.param([1, 2], None, "sign", 400, id="json-array"),
        pytest.param(None, b"[" * 100_000, "sign", 413, id="oversized-nesting"),
        pytest.param(None, b"[" * 60_000, "sign", 400, id="deep-nesting"),
        pytest.param(
            None, b'{"event": "EXERCISE", "user_id": Infinity}', "sign", 400, id="infinity"
        ),
        pytest.param(notice_json("EX1", user_id=True), None, "sign", 400, id="boolean-user-id"),
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
    ],
)
async def test_handler_matrix(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    payload: Any,
    raw: bytes | None,
    signature: str | None,
    status: int,
) -> None:
    """Each request gets its status; only a valid notice of a known user fetches and fires."""
    response = await post_webhook(payload, raw=raw, signature=signature)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == status
    valid = (
        status == 200
        and isinstance(payload, dict)
        and payload.get("event") == "EXERCISE"
        and payload.get("user_id") in {USER_ID, str(USER_ID)}
    )
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == (1 if valid else 0)
    assert len(events) == (1 if valid else 0)


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
    """Bad input is answered with a reason and logs no error."""
    for raw in (b"", b"\x00\xff", b"null", b'{"event": 5}', "ä".encode("utf-16")):
        response = await post_webhook(None, raw=raw)
        assert response.status in (400, 401)
        assert await response.text()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Traceback" not in caplog.text
    assert "ERROR" not in caplog.text


async def test_ping_is_answered_before_create_returns(ping_statuses: list[int]) -> None:
    """Polar pings the URL while creating the webhook: the handler was already live."""
    assert ping_statuses == [200]
