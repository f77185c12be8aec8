"""The webhook: answering Polar over HTTP and as HA Cloud relays it, and routing to accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
import json
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.aiohttp import MockRequest

from custom_components.polar_flow.accesslink import AccessLinkClient, EventType, Notice
from custom_components.polar_flow.const import (
    EVENT_ACTIVITY,
    EVENT_CONTINUOUS_HEART_RATE,
    EVENT_EXERCISE,
    EVENT_SLEEP,
)
from custom_components.polar_flow.webhook import PolarWebhookManager, async_get_manager

from .conftest import (
    API,
    NIGHT,
    OTHER_USER_ID,
    USER_ID,
    LazyClient,
    PostWebhook,
    activity_notice_json,
    exercise_json,
    heart_rate_notice_json,
    load_fixture,
    notice_json,
    polar_headers,
    replace_route,
    requests_to,
    sign,
    sleep_notice_json,
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


# Each pushed kind but the exercise (the matrix above): its notice, the fetch it makes, its event.
DAY_NOTICES = {
    "SLEEP": (sleep_notice_json(), f"/v3/users/sleep/{NIGHT}", "sleep", EVENT_SLEEP),
    "ACTIVITY_SUMMARY": (
        activity_notice_json(),
        f"/v3/users/activities/{NIGHT}",
        "activity",
        EVENT_ACTIVITY,
    ),
    "CONTINUOUS_HEART_RATE": (
        heart_rate_notice_json(),
        f"/v3/users/continuous-heart-rate/{NIGHT}",
        "continuous_heart_rate",
        EVENT_CONTINUOUS_HEART_RATE,
    ),
}


@pytest.mark.parametrize("event", DAY_NOTICES)
async def test_every_pushed_kind_arrives_either_way(
    hass: HomeAssistant,
    deliver: Deliver,
    night_api: AiohttpClientMocker,
    event: str,
) -> None:
    """A dated notice delivered over HTTP or through a cloudhook fetches its day and fires."""
    notice, path, fixture, event_type = DAY_NOTICES[event]
    data = load_fixture(fixture)
    if fixture == "activity":
        data["start_time"] = f"{NIGHT}T00:00:00"
    night_api.get(f"{API}{path}", json=data)
    fired = async_capture_events(hass, event_type)
    answer = await deliver(notice)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert answer.status == 200
    assert requests_to(night_api, "GET", path) == 1
    assert len(fired) == 1
    assert fired[0].data["user_id"] == USER_ID


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


class FailingRequest(MockRequest):
    """A relayed request whose body cannot be read."""

    @property
    def content(self) -> Any:
        """Return a reader that fails."""

        class _Failing:
            async def read(self, byte_count: int = -1) -> bytes:
                raise RuntimeError("unreadable")

        return _Failing()


@dataclass(slots=True)
class RecordingAccount:
    """An account attached to the webhook, recording what the webhook tells it."""

    user_id: int
    notices: list[Notice] = field(default_factory=list)
    push: list[bool] = field(default_factory=list)
    catch_ups: int = 0
    detach: Callable[[], None] = lambda: None

    def async_receive_notice(self, notice: Notice) -> None:
        """Record a routed notice."""
        self.notices.append(notice)

    def async_set_push(self, push_ok: bool) -> None:
        """Record the push state."""
        self.push.append(push_ok)

    def async_catch_up(self) -> None:
        """Record a request to reconcile."""
        self.catch_ups += 1


def webhooks(entry: MockConfigEntry) -> PolarWebhookManager:
    """Return the webhook of the entry's AccessLink client."""
    manager: PolarWebhookManager = entry.runtime_data.webhooks
    return manager


@pytest.fixture
def bob(setup_integration: MockConfigEntry) -> Iterator[RecordingAccount]:
    """Attach Bob's account to the webhook Alice's entry uses; detach it afterwards."""
    account = RecordingAccount(OTHER_USER_ID)
    account.detach = webhooks(setup_integration).async_attach(account)
    yield account
    account.detach()


async def test_attached_account_gets_its_notices_until_detached(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    bob: RecordingAccount,
) -> None:
    """An attached account gets the notices of its user; its undo detaches only it."""
    response = await post_webhook(notice_json("EX2", user_id=OTHER_USER_ID))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == HTTPStatus.OK
    assert [(n.user_id, n.entity_id) for n in bob.notices] == [(OTHER_USER_ID, "EX2")]
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 0

    bob.detach()
    await post_webhook(notice_json("EX3", user_id=OTHER_USER_ID))
    response = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == HTTPStatus.OK
    assert len(bob.notices) == 1
    # Alice is still attached: the webhook keeps answering for her.
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1


async def test_last_detach_stops_the_webhook(
    hass: HomeAssistant, setup_integration: MockConfigEntry, http_client: LazyClient
) -> None:
    """The undo of the last account stops the client's webhook; the next attach starts anew."""
    client = AccessLinkClient(
        async_get_clientsession(hass), client_id="other-client", client_secret="secret"
    )
    manager = await async_get_manager(hass, "other-client", client)
    bob = RecordingAccount(OTHER_USER_ID)
    detach = manager.async_attach(bob)
    body = json.dumps(notice_json("EX2", user_id=OTHER_USER_ID)).encode()
    path = f"/api/webhook/{manager.webhook_id}"
    assert (await http_client.post(path, data=body)).status == HTTPStatus.UNAUTHORIZED

    detach()
    assert (await http_client.post(path, data=body)).status == HTTPStatus.OK  # unknown webhook
    again = await async_get_manager(hass, "other-client", client)
    assert again is not manager
    again.async_attach(bob)()
    # The first client's webhook is not affected.
    assert webhooks(setup_integration).webhook_id in hass.data["webhook"]


@pytest.mark.parametrize(
    ("subscribed", "routed"),
    [
        pytest.param((EventType.EXERCISE,), [], id="exercise-only"),
        pytest.param((EventType.EXERCISE, EventType.SLEEP), ["SLEEP"], id="sleep-subscribed"),
    ],
)
async def test_routes_the_subscribed_events(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    monkeypatch: pytest.MonkeyPatch,
    bob: RecordingAccount,
    subscribed: tuple[EventType, ...],
    routed: list[str],
) -> None:
    """Every subscribed kind of notice reaches the account, and no other kind."""
    monkeypatch.setattr("custom_components.polar_flow.webhook.SUBSCRIBED_EVENTS", subscribed)
    sleep = {"event": "SLEEP", "user_id": OTHER_USER_ID, "date": "2026-11-27"}
    for notice in (sleep, {**sleep, "event": "ACTIVITY_SUMMARY"}):
        assert (await post_webhook(notice)).status == HTTPStatus.OK
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [str(notice.event) for notice in bob.notices] == routed


async def test_attached_account_follows_push_and_catches_up(
    hass: HomeAssistant, polar_api: AiohttpClientMocker, bob: RecordingAccount
) -> None:
    """Accounts hear when push breaks and returns, and reconcile what it missed."""
    body = json.dumps(notice_json("EX2", user_id=OTHER_USER_ID)).encode()
    headers = {"Polar-Webhook-Signature": sign(body)}

    async def deliver(failing: bool) -> None:
        kind = FailingRequest if failing else MockRequest
        request = kind(content=body, mock_source="cloud", method="POST", headers=headers)
        await webhook.async_handle_webhook(hass, hook_id(polar_api), request)

    for _ in range(3):
        await deliver(failing=True)
    await deliver(failing=False)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert bob.push == [False, True]
    assert bob.catch_ups == 1
    assert len(bob.notices) == 1


async def test_notice_during_unload_starts_no_work(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """A notice pushed while the account stops is not fetched: it is detached first."""
    answers: list[int] = []

    async def slow_exercise(method: str, url: URL, data: Any) -> Any:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            # The account is stopping its work: Polar pushes the next notice right now.
            body = json.dumps(notice_json("EX2")).encode()
            request = cloud_request(body, polar_headers(body, "sign"))
            answer = await webhook.async_handle_webhook(hass, hook_id(polar_api), request)
            answers.append(answer.status)
            raise
        raise AssertionError("unreachable")

    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=slow_exercise)
    assert (await post_webhook(notice_json("EX1"))).status == HTTPStatus.OK
    await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert answers == [HTTPStatus.OK]
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 0
