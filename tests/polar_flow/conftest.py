"""Fixtures for the Polar Flow integration tests: credentials, an entry and a mocked AccessLink."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Generator
from datetime import datetime, timedelta
import hashlib
import hmac
import json
from pathlib import Path
import re
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import (
    DOMAIN,
    EVENT_EXERCISE,
    EVENT_NIGHTLY_RECHARGE,
    EVENT_SLEEP,
    EVENT_SLEEPWISE_ALERTNESS,
    EVENT_SLEEPWISE_CIRCADIAN_BEDTIME,
)

CLIENT_ID = "polar-client-id"
CLIENT_SECRET = "polar-client-secret"
USER_ID = 12345678
OTHER_USER_ID = 87654321
ACCESS_TOKEN = "user-access-token"
API = "https://www.polaraccesslink.com"
EXTERNAL_URL = "https://ha.example.com"
SIGNING_SECRET = "signing-secret-from-polar"
POLAR_WEBHOOK_ID = "polar-webhook-1"
FIXTURES = Path(__file__).parent / "fixtures"
# The night of fixtures/sleep.json and fixtures/nightly_recharge.json.
NIGHT = "2026-11-29"
# Cardio load by date, served from the cardio_loads fixture: each exercise asks for its day's.
CARDIO_LOAD_BY_DATE = re.compile(rf"^{re.escape(API)}/v3/users/cardio-load/[0-9-]{{10}}$")
CARDIO_LOAD_PERIOD = re.compile(rf"^{re.escape(API)}/v3/users/cardio-load/period/days/[0-9]+$")
NOT_FOUND = {"status": 404, "errorType": "NotFound", "message": "not found"}

PING_FAILED = {
    "timestamp": "2026-11-27T10:00:00Z",
    "status": 400,
    "errorType": "WebhookPingFailedException",
    "message": "Webhook ping failed",
    "corrId": "c0ffee",
}

type PostWebhook = Callable[..., Awaitable[Any]]


def load_fixture(name: str, **changes: Any) -> dict[str, Any]:
    """Return a JSON payload of fixtures/, with some top-level values changed."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return {**data, **changes}


def exercise_json(
    exercise_id: str = "EX1",
    *,
    sport: str = "RUNNING",
    start: str = "2026-11-27T08:00:00",
    duration: str = "PT42M10S",
    **changes: Any,
) -> dict[str, Any]:
    """Return an exercise as AccessLink serves it (fixtures/exercise.json), some values changed."""
    return load_fixture(
        "exercise",
        id=exercise_id,
        sport=sport,
        detailed_sport_info=sport,
        start_time=start,
        duration=duration,
        **changes,
    )


def notice_json(exercise_id: str = "EX1", user_id: int = USER_ID, **extra: Any) -> dict[str, Any]:
    """Return an EXERCISE notice as Polar pushes it."""
    return {
        "event": "EXERCISE",
        "user_id": user_id,
        "entity_id": exercise_id,
        "timestamp": "2026-11-27T09:00:05.000Z",
        "url": f"{API}/v3/exercises/{exercise_id}",
        **extra,
    }


def day_notice_json(event: str, path: str, day: str, sent_at: str) -> dict[str, Any]:
    """Return a notice of a day's data as Polar pushes it: its date and where to fetch it."""
    return {
        "event": event,
        "user_id": USER_ID,
        "date": day,
        "timestamp": f"{day}T{sent_at}.000Z",
        "url": f"{API}{path}/{day}",
    }


def sleep_notice_json(day: str = NIGHT) -> dict[str, Any]:
    """Return a SLEEP notice as Polar pushes it."""
    return day_notice_json("SLEEP", "/v3/users/sleep", day, "07:10:00")


def load_list(name: str) -> list[dict[str, Any]]:
    """Return a JSON array of fixtures/, such as SleepWise periods."""
    data: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def sleepwise_notice_json(
    event: str = "SLEEP_WISE_ALERTNESS", start: str = "2026-11-28", end: str = NIGHT
) -> dict[str, Any]:
    """Return a SleepWise notice as Polar pushes it: the dates that have new periods."""
    kind = "alertness" if event == "SLEEP_WISE_ALERTNESS" else "circadian-bedtime"
    return {
        "event": event,
        "user_id": USER_ID,
        "from": start,
        "to": end,
        "timestamp": f"{end}T07:12:00.000Z",
        "url": f"{API}/v3/users/sleepwise/{kind}/date?from={start}&to={end}",
    }


def activity_notice_json(day: str = NIGHT) -> dict[str, Any]:
    """Return an ACTIVITY_SUMMARY notice as Polar pushes it."""
    return day_notice_json("ACTIVITY_SUMMARY", "/v3/users/activities", day, "18:10:00")


def heart_rate_notice_json(day: str = NIGHT) -> dict[str, Any]:
    """Return a CONTINUOUS_HEART_RATE notice as Polar pushes it."""
    return day_notice_json(
        "CONTINUOUS_HEART_RATE", "/v3/users/continuous-heart-rate", day, "22:00:00"
    )


def bedtime_notice_json(day: str = NIGHT) -> dict[str, Any]:
    """Return a SLEEP_WISE_CIRCADIAN_BEDTIME notice of one date."""
    return sleepwise_notice_json("SLEEP_WISE_CIRCADIAN_BEDTIME", day, day)


def bedtime_period(start: str, end: str) -> dict[str, Any]:
    """Return tonight's circadian bedtime period of fixtures/ with another sleep window (UTC)."""
    return {
        **load_list("circadian_bedtime")[1],
        "period_start_time": start,
        "period_end_time": end,
        "preferred_sleep_period_start_time": start,
        "preferred_sleep_period_end_time": end,
    }


def sign(body: bytes, secret: str = SIGNING_SECRET) -> str:
    """Sign a body as Polar does."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def polar_headers(body: bytes, signature: str | None) -> dict[str, str]:
    """Return the headers Polar sends with body; signature "sign" signs it correctly."""
    try:
        event = json.loads(body).get("event")
    except ValueError, AttributeError, RecursionError:
        event = None
    headers = {
        "Content-Type": "application/json",
        "Polar-Webhook-Event": event if isinstance(event, str) else "EXERCISE",
    }
    if signature == "sign":
        headers["Polar-Webhook-Signature"] = sign(body)
    elif signature is not None:
        headers["Polar-Webhook-Signature"] = signature
    return headers


def token_data(user_id: int = USER_ID, access_token: str = ACCESS_TOKEN) -> dict[str, Any]:
    """Return the token an entry stores."""
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 31535999,
        "expires_at": time.time() + 31535999,
        "x_user_id": user_id,
    }


def make_entry(
    user_id: int = USER_ID, title: str = "Alice Runner", options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """Return a config entry of a signed-in Polar account, with the options given."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=str(user_id),
        data={"auth_implementation": DOMAIN, "token": token_data(user_id)},
        options=options or {},
    )


def webhook_url_sent(aioclient_mock: AiohttpClientMocker) -> str:
    """Return the URL the integration registered with Polar."""
    urls: list[str] = getattr(aioclient_mock, "registered_urls", [])
    if not urls:
        raise AssertionError("no webhook was created at Polar")
    return urls[-1]


def replace_route(
    aioclient_mock: AiohttpClientMocker, method: str, url: str, **kwargs: Any
) -> None:
    """Answer method and url differently from now on, and forget the calls made so far."""
    aioclient_mock._mocks = [
        mock for mock in aioclient_mock._mocks if not mock.match_request(method, URL(url))
    ]
    aioclient_mock.request(method, url, **kwargs)
    aioclient_mock.mock_calls.clear()


def requests_to(aioclient_mock: AiohttpClientMocker, method: str, path: str) -> int:
    """Count the requests made to one AccessLink path."""
    return sum(
        1
        for call_method, url, *_ in aioclient_mock.mock_calls
        if call_method == method and URL(str(url)).path == path
    )


async def enable_entities(hass: HomeAssistant, entry: MockConfigEntry, *entity_ids: str) -> None:
    """Enable entities that are disabled by default, as a user does, and reload the entry."""
    registry = er.async_get(hass)
    for entity_id in entity_ids:
        registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def push(hass: HomeAssistant, post_webhook: PostWebhook, day: str = NIGHT) -> None:
    """Push a SLEEP notice and let its work finish."""
    response = await post_webhook(sleep_notice_json(day))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def push_day(hass: HomeAssistant, post_webhook: PostWebhook, day: str = NIGHT) -> None:
    """Push an ACTIVITY_SUMMARY notice and let its work finish."""
    assert (await post_webhook(activity_notice_json(day))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def move_time(hass: HomeAssistant, seconds: float) -> None:
    """Let Home Assistant's clock run on."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


async def at_utc(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    """Let Home Assistant's clock run on to a UTC moment."""
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def at_local(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    """Let Home Assistant's clock run on to a moment of its local time."""
    local = datetime.fromisoformat(moment).replace(tzinfo=dt_util.get_default_time_zone())
    await at_utc(hass, freezer, dt_util.as_utc(local).isoformat())


def sequence(*responses: tuple[int, Any]) -> Any:
    """Answer with each (status, json) in turn, repeating the last one."""
    remaining = list(responses)

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        status, body = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        # The short window is used up only when AccessLink says 429.
        usage = "520, 10" if status == 429 else "10, 10"
        headers = {"RateLimit-Usage": usage, "RateLimit-Limit": "520, 5100"}
        headers["RateLimit-Reset"] = "30, 3600"
        return AiohttpClientMockResponse(method, url, status=status, json=body, headers=headers)

    return side_effect


@pytest.fixture
async def setup_credentials(hass: HomeAssistant) -> None:
    """Add the AccessLink client as application credentials and an external URL."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, "diagnostics", {})
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), DOMAIN
    )


@pytest.fixture
def activities() -> list[dict[str, Any]]:
    """Return what /v3/users/activities lists; tests change it."""
    return []


@pytest.fixture
def heart_rates() -> list[dict[str, Any]]:
    """Return the days /v3/users/continuous-heart-rate lists; tests change it."""
    return []


@pytest.fixture
def exercises() -> list[dict[str, Any]]:
    """Return what /v3/exercises lists; tests change it."""
    return [exercise_json("EX0", start="2026-11-20T07:00:00")]


@pytest.fixture
def nights() -> list[dict[str, Any]]:
    """Return what /v3/users/sleep lists; tests change it."""
    return []


@pytest.fixture
def recharges() -> list[dict[str, Any]]:
    """Return what /v3/users/nightly-recharge lists; tests change it."""
    return []


@pytest.fixture
def physical_info() -> dict[str, Any] | None:
    """Return what /v3/users/physical-info answers, None for no content; tests change it."""
    return None


@pytest.fixture
def cardio_loads() -> list[dict[str, Any]]:
    """Return what /v3/users/cardio-load lists; tests change it."""
    return []


@pytest.fixture
def spo2_tests() -> list[dict[str, Any]]:
    """Return what /v3/users/biosensing/spo2 lists; tests change it."""
    return []


@pytest.fixture
def skin_temperatures() -> list[dict[str, Any]]:
    """Return what /v3/users/biosensing/skintemperature lists; tests change it."""
    return []


@pytest.fixture
def body_temperatures() -> list[dict[str, Any]]:
    """Return what /v3/users/biosensing/bodytemperature lists; tests change it."""
    return []


@pytest.fixture
def alertness_periods() -> list[dict[str, Any]]:
    """Return what /v3/users/sleepwise/alertness lists; empty answers 204 (no SleepWise)."""
    return []


@pytest.fixture
def bedtime_periods() -> list[dict[str, Any]]:
    """Return what /v3/users/sleepwise/circadian-bedtime lists; empty answers 204."""
    return []


def sent_json(data: Any) -> dict[str, Any]:
    """Return a recorded request body as a dict."""
    if isinstance(data, bytes | str):
        return dict(json.loads(data))
    return dict(data)


@pytest.fixture
def ping_statuses() -> list[int]:
    """Collect what the webhook answered to Polar's PINGs."""
    return []


class LazyClient:
    """An HTTP client of Home Assistant, started at first use when every view is registered."""

    def __init__(self, factory: Callable[[], Awaitable[Any]]) -> None:
        """Remember how to make the client."""
        self._factory = factory
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def get(self, path: str, **kwargs: Any) -> Any:
        """Send a GET request."""
        return await (await self._started()).get(path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        """Send a POST request."""
        return await (await self._started()).post(path, **kwargs)

    async def _started(self) -> Any:
        async with self._lock:
            if self._client is None:
                self._client = await self._factory()
        return self._client


@pytest.fixture
def http_client(hass_client_no_auth: Any, setup_credentials: None) -> LazyClient:
    """Return an HTTP client of Home Assistant, as Polar and other outsiders use it."""
    return LazyClient(hass_client_no_auth)


@pytest.fixture
async def polar_api(
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    nights: list[dict[str, Any]],
    recharges: list[dict[str, Any]],
    ping_statuses: list[int],
    physical_info: dict[str, Any] | None,
    cardio_loads: list[dict[str, Any]],
    spo2_tests: list[dict[str, Any]],
    skin_temperatures: list[dict[str, Any]],
    body_temperatures: list[dict[str, Any]],
    activities: list[dict[str, Any]],
    heart_rates: list[dict[str, Any]],
    alertness_periods: list[dict[str, Any]],
    bedtime_periods: list[dict[str, Any]],
) -> AiohttpClientMocker:
    """Serve a healthy AccessLink with no webhook registered yet.

    Creating the webhook pings its URL first and fails unless the answer is 200, as Polar does.
    """

    async def create_webhook(method: str, url: URL, data: Any) -> Any:
        hook_url = sent_json(data)["url"]
        registered_urls.append(hook_url)
        ping = await http_client.post(
            URL(hook_url).path, json={"event": "PING", "timestamp": "2026-11-27T10:00:00Z"}
        )
        ping_statuses.append(ping.status)
        if ping.status != 200:
            return AiohttpClientMockResponse("post", url, status=400, json=PING_FAILED)
        hook = {"id": POLAR_WEBHOOK_ID, "events": sent_json(data)["events"], "url": hook_url}
        hooks[:] = [{**hook, "active": True}]
        body = {"data": {**hook, "signature_secret_key": SIGNING_SECRET}}
        return AiohttpClientMockResponse("post", url, status=201, json=body)

    async def list_webhooks(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json={"data": list(hooks)})

    async def delete_webhook(method: str, url: URL, data: Any) -> Any:
        hooks.clear()
        return AiohttpClientMockResponse(method, url, status=204)

    registered_urls: list[str] = []
    hooks: list[dict[str, Any]] = []
    aioclient_mock.registered_urls = registered_urls  # type: ignore[attr-defined]
    aioclient_mock.hooks = hooks  # type: ignore[attr-defined]

    async def list_exercises(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json=list(exercises))

    async def list_nights(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json={"nights": list(nights)})

    async def list_recharges(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json={"recharges": list(recharges)})

    async def get_physical_info(method: str, url: URL, data: Any) -> Any:
        if physical_info is None:
            return AiohttpClientMockResponse(method, url, status=204)
        return AiohttpClientMockResponse(method, url, json=dict(physical_info))

    async def list_cardio_loads(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json=list(cardio_loads))

    aioclient_mock.get(f"{API}/v3/users/physical-info", side_effect=get_physical_info)

    async def get_cardio_load(method: str, url: URL, data: Any) -> Any:
        day = url.path.rsplit("/", 1)[-1]
        return AiohttpClientMockResponse(
            method, url, json=[load for load in cardio_loads if load.get("date") == day]
        )

    aioclient_mock.get(f"{API}/v3/users/cardio-load", side_effect=list_cardio_loads)
    aioclient_mock.get(CARDIO_LOAD_BY_DATE, side_effect=get_cardio_load)
    # The backfill's deep listing: the same days, whatever the period asked for.
    aioclient_mock.get(CARDIO_LOAD_PERIOD, side_effect=list_cardio_loads)

    def biosensing(items: list[dict[str, Any]]) -> Any:
        async def list_items(method: str, url: URL, data: Any) -> Any:
            # A device without the sensor: AccessLink has nothing to say (204).
            if not items:
                return AiohttpClientMockResponse(method, url, status=204)
            return AiohttpClientMockResponse(method, url, json=list(items))

        return list_items

    aioclient_mock.get(f"{API}/v3/exercises", side_effect=list_exercises)
    aioclient_mock.get(f"{API}/v3/users/sleep", side_effect=list_nights)
    aioclient_mock.get(f"{API}/v3/users/nightly-recharge", side_effect=list_recharges)
    for name, items in (
        ("spo2", spo2_tests),
        ("skintemperature", skin_temperatures),
        ("bodytemperature", body_temperatures),
    ):
        aioclient_mock.get(f"{API}/v3/users/biosensing/{name}", side_effect=biosensing(items))

    async def list_activities(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json=list(activities))

    async def list_heart_rates(method: str, url: URL, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json={"heart_rates": list(heart_rates)})

    aioclient_mock.get(f"{API}/v3/users/activities", side_effect=list_activities)
    aioclient_mock.get(f"{API}/v3/users/continuous-heart-rate", side_effect=list_heart_rates)

    def list_periods(periods: list[dict[str, Any]]) -> Any:
        async def answer(method: str, url: URL, data: Any) -> Any:
            if not periods:
                return AiohttpClientMockResponse(method, url, status=204)
            return AiohttpClientMockResponse(method, url, json=list(periods))

        return answer

    aioclient_mock.get(
        f"{API}/v3/users/sleepwise/alertness", side_effect=list_periods(alertness_periods)
    )
    aioclient_mock.get(
        f"{API}/v3/users/sleepwise/circadian-bedtime", side_effect=list_periods(bedtime_periods)
    )
    for item in ["EX1", "EX2", "EX3"]:
        aioclient_mock.get(f"{API}/v3/exercises/{item}", json=exercise_json(item))
    aioclient_mock.get(f"{API}/v3/webhooks", side_effect=list_webhooks)
    aioclient_mock.post(f"{API}/v3/webhooks", side_effect=create_webhook)
    aioclient_mock.delete(f"{API}/v3/webhooks/{POLAR_WEBHOOK_ID}", side_effect=delete_webhook)
    for user_id in (USER_ID, OTHER_USER_ID):
        aioclient_mock.delete(f"{API}/v3/users/{user_id}", status=204)
    return aioclient_mock


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """Return the entry of Alice's Polar account."""
    return make_entry()


@pytest.fixture
async def setup_integration(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up Alice's account with push working."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return config_entry


@pytest.fixture
async def post_webhook(http_client: Any, polar_api: AiohttpClientMocker) -> PostWebhook:
    """Return a function that posts a body to the webhook Polar was given."""

    async def _post(
        payload: Any, *, signature: str | None = "sign", raw: bytes | None = None
    ) -> Any:
        body = raw if raw is not None else json.dumps(payload).encode()
        path = URL(webhook_url_sent(polar_api)).path
        return await http_client.post(path, data=body, headers=polar_headers(body, signature))

    return _post


@pytest.fixture
def night_api(polar_api: AiohttpClientMocker) -> AiohttpClientMocker:
    """Serve the night and its Nightly Recharge by date."""
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load_fixture("sleep"))
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", json=load_fixture("nightly_recharge"))
    return polar_api


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)


@pytest.fixture
def exercise_events(events: list[Event]) -> list[Event]:
    """Collect polar_flow_exercise events, by a name that tells them from the nights'."""
    return events


@pytest.fixture
def sleep_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_sleep events."""
    return async_capture_events(hass, EVENT_SLEEP)


@pytest.fixture
def recharge_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_nightly_recharge events."""
    return async_capture_events(hass, EVENT_NIGHTLY_RECHARGE)


@pytest.fixture
def alertness_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_sleepwise_alertness events."""
    return async_capture_events(hass, EVENT_SLEEPWISE_ALERTNESS)


@pytest.fixture
def bedtime_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_sleepwise_circadian_bedtime events."""
    return async_capture_events(hass, EVENT_SLEEPWISE_CIRCADIAN_BEDTIME)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable every entity, also those disabled by default, as Home Assistant core's tests do."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default", return_value=True
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise states and registry entries without their ids and times, as core's tests do."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


def count_writes(hass: HomeAssistant) -> Counter[str]:
    """Count each entity's state writes from now on, changed or only reported again."""
    writes: Counter[str] = Counter()

    @callback
    def _ours(data: Any) -> bool:
        return str(data["entity_id"]).split(".", 1)[1].startswith("alice_runner")

    @callback
    def _count(event: Event) -> None:
        writes[event.data["entity_id"]] += 1

    for event_type in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
        hass.bus.async_listen(event_type, _count, _ours)
    return writes
