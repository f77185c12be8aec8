"""Fetching a notice's exercise: by its id only, bounded per AccessLink client, 404 retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from homeassistant.core import Event, HomeAssistant

from custom_components.polar_flow import fetcher as fetcher_module
from custom_components.polar_flow.const import EVENT_EXERCISE
from custom_components.polar_flow.fetch_limit import MAX_PENDING_FETCHES

from .conftest import (
    API,
    OTHER_USER_ID,
    PostWebhook,
    exercise_json,
    make_entry,
    notice_json,
    replace_route,
    requests_to,
    sequence,
)

NOT_FOUND = {"status": 404, "errorType": "NotFound", "message": "not found"}
ANY_EXERCISE = re.compile(r"/v3/exercises/[^/?]+")


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the retry delays so the tests do not sleep."""
    monkeypatch.setattr(fetcher_module, "BACKOFF_INITIAL", 0.001)
    monkeypatch.setattr(fetcher_module, "NOT_FOUND_DELAY", 0)


async def run_retries(hass: HomeAssistant) -> None:
    """Let every "not found" be asked again, as its timer fires."""
    for _ in range(fetcher_module.NOT_FOUND_ATTEMPTS):
        await hass.async_block_till_done(wait_background_tasks=True)
        async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def other_requests(aioclient_mock: AiohttpClientMocker, allowed: str) -> list[str]:
    """Return the URLs requested other than the allowed path."""
    return [str(url) for _, url, *_ in aioclient_mock.mock_calls if URL(str(url)).path != allowed]


async def notices(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, int]:
    """Return the notice counts of an account from its diagnostics."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return diagnostics["account"]["kinds"]["exercise"]["notices"]


@pytest.mark.usefixtures("setup_integration")
@pytest.mark.parametrize(
    "url",
    [
        f"{API}/v3/users/12345678",
        f"{API}/v3/exercises/../users/12345678",
        f"{API}/v3/exercises/EX1/../../users/12345678",
        f"{API}/v3/exercises/%2e%2e/users/12345678",
        f"{API}/v3/exercises%2f..%2fusers%2f12345678",
        f"{API}/v3/exercises/EX1%2f..%2f..%2fusers%2f12345678",
        "https://evil.example.com/v3/exercises/EX1",
    ],
    ids=[
        "users",
        "dot-dot",
        "id-dot-dot",
        "encoded-dots",
        "encoded-slashes",
        "id-encoded-slashes",
        "other-host",
    ],
)
async def test_exercise_is_fetched_by_id_never_by_url(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    url: str,
) -> None:
    """Whatever path a signed notice names, the token goes only to /v3/exercises/{entity_id}."""
    polar_api.get(re.compile(r".*"), json={"polar-user-id": 12345678})
    polar_api.mock_calls.clear()
    response = await post_webhook(notice_json("EX1", url=url))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 200
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert other_requests(polar_api, "/v3/exercises/EX1") == []
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    assert "ERROR" not in caplog.text


@pytest.mark.usefixtures("setup_integration")
async def test_bare_api_host_is_fetched_at_once(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Polar writes its host with and without www.: either is fetched at once from the API."""
    polar_api.mock_calls.clear()
    await post_webhook(notice_json("EX2", url="https://polaraccesslink.com/v3/exercises/EX2"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [str(url) for _, url, *_ in polar_api.mock_calls] == [f"{API}/v3/exercises/EX2"]
    assert [event.data["exercise_id"] for event in events] == ["EX2"]


async def test_unsafe_ids_are_refused_quietly(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An entity_id that is not one plain path segment: answered, counted, nothing requested."""
    polar_api.get(re.compile(r".*"), json=exercise_json("EX0"))
    polar_api.mock_calls.clear()
    unsafe = [".", "..", "a/b", "%2e%2e", "%2F..%2Fusers", "EX1?x=1"]
    for entity_id in unsafe:
        response = await post_webhook(notice_json(entity_id))
        assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert polar_api.mock_calls == []
    assert events == []
    assert (await notices(hass, hass_client, setup_integration))["refused"] == len(unsafe)
    assert "Traceback" not in caplog.text
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"]


async def test_burst_of_invented_ids_is_bounded(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """40 notices of unknown exercises: a bounded number fetched, the rest dropped to a catch-up."""
    answered = asyncio.Event()

    async def not_found(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await answered.wait()
        return AiohttpClientMockResponse(method, url, status=404, json=NOT_FOUND)

    polar_api.get(ANY_EXERCISE, side_effect=not_found)
    polar_api.mock_calls.clear()
    ids = [f"N{number:02}" for number in range(40)]
    for exercise_id in ids:
        assert (await post_webhook(notice_json(exercise_id))).status == 200
    answered.set()
    await run_retries(hass)

    fetched = {URL(str(url)).name for _, url, *_ in polar_api.mock_calls}
    assert fetched == set(ids[:MAX_PENDING_FETCHES])
    assert len(polar_api.mock_calls) == MAX_PENDING_FETCHES * fetcher_module.NOT_FOUND_ATTEMPTS
    counts = await notices(hass, hass_client, setup_integration)
    assert counts["dropped"] == len(ids) - MAX_PENDING_FETCHES
    assert counts["received"] == len(ids)
    assert events == []

    # The last notice was dropped, but its exercise is real: the one catch-up publishes it.
    exercises.append(exercise_json(ids[-1], start="2026-11-27T07:00:00"))
    polar_api.mock_calls.clear()
    freezer.tick(timedelta(seconds=fetcher_module.BACKOFF_MAX + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert [event.data["exercise_id"] for event in events] == [ids[-1]]


async def test_accounts_of_one_client_share_the_bound(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> None:
    """The pending fetches of every account signed in with one client count together."""
    bob = make_entry(OTHER_USER_ID, "Bob")
    bob.add_to_hass(hass)
    assert await hass.config_entries.async_setup(bob.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    answered = asyncio.Event()

    async def slow(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await answered.wait()
        return AiohttpClientMockResponse(method, url, json=exercise_json(URL(str(url)).name))

    polar_api.get(ANY_EXERCISE, side_effect=slow)
    for number in range(MAX_PENDING_FETCHES):
        await post_webhook(notice_json(f"A{number:02}"))
    await post_webhook(notice_json("B00", user_id=OTHER_USER_ID))
    answered.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/B00") == 0
    assert (await notices(hass, hass_client, bob))["dropped"] == 1
    assert (await notices(hass, hass_client, setup_integration))["published"] == (
        MAX_PENDING_FETCHES
    )

    # Once the fetches are done there is room again.
    await post_webhook(notice_json("B01", user_id=OTHER_USER_ID))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/B01") == 1


@pytest.mark.usefixtures("setup_integration")
async def test_not_found_then_found_is_published_once(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Right after the notice AccessLink may not serve the exercise yet: 404 is retried."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX8",
        side_effect=sequence((404, NOT_FOUND), (200, exercise_json("EX8"))),
    )
    await post_webhook(notice_json("EX8"))
    await run_retries(hass)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX8") == 2
    assert [event.data["exercise_id"] for event in events] == ["EX8"]


async def test_not_found_for_good_is_left_to_catch_up(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """A 404 that persists is tried a bounded number of times, then the catch-up looks again."""
    replace_route(
        polar_api, "get", f"{API}/v3/exercises/EX9", side_effect=sequence((404, NOT_FOUND))
    )
    await post_webhook(notice_json("EX9"))
    await run_retries(hass)
    attempts = fetcher_module.NOT_FOUND_ATTEMPTS
    assert requests_to(polar_api, "GET", "/v3/exercises/EX9") == attempts
    assert events == []

    exercises.append(exercise_json("EX9", start="2026-11-27T07:00:00"))
    freezer.tick(timedelta(seconds=fetcher_module.BACKOFF_MAX + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX9") == attempts
    assert [event.data["exercise_id"] for event in events] == ["EX9"]
