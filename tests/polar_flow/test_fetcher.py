"""Fetching for an account: by id only, once at a time, bounded, backoff, 429, 401, 403, 404."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.polar_flow import fetcher as fetcher_module
from custom_components.polar_flow.const import DOMAIN
from custom_components.polar_flow.coordinator import DROPPED_CATCH_UP_DELAY
from custom_components.polar_flow.fetch_limit import KEPT_FOR_PUSH, MAX_PENDING_FETCHES

from .conftest import (
    API,
    CARDIO_LOAD_BY_DATE,
    NOT_FOUND,
    OTHER_USER_ID,
    USER_ID,
    PostWebhook,
    exercise_json,
    make_entry,
    move_time,
    notice_json,
    replace_route,
    requests_to,
    sequence,
)

ANY_EXERCISE = re.compile(r"/v3/exercises/[^/?]+")


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


# The cardio load fetched after an exercise of conftest.exercise_json, by its start date.
CARDIO_LOAD_OF_EX = "/v3/users/cardio-load/2026-11-27"


def other_requests(aioclient_mock: AiohttpClientMocker, *allowed: str) -> list[str]:
    """Return the URLs requested other than the allowed paths."""
    return [
        str(url) for _, url, *_ in aioclient_mock.mock_calls if URL(str(url)).path not in allowed
    ]


async def notices(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    kind: str = "exercise",
) -> dict[str, int]:
    """Return the notice counts of one kind of an account from its diagnostics."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return dict(diagnostics["account"]["kinds"][kind]["notices"])


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
    # Besides the exercise, only the cardio load of its day, which follows every exercise.
    assert other_requests(polar_api, "/v3/exercises/EX1", CARDIO_LOAD_OF_EX) == []
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
    assert [str(url) for _, url, *_ in polar_api.mock_calls] == [
        f"{API}/v3/exercises/EX2",
        f"{API}{CARDIO_LOAD_OF_EX}",
    ]
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


async def test_follow_ups_never_take_the_places_kept_for_pushes(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Workouts of many days while their cardio loads hang: the next pushed workout still goes."""
    days = [f"2026-11-{day:02}" for day in range(1, MAX_PENDING_FETCHES + 5)]
    answered = asyncio.Event()

    async def exercise(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        day = URL(str(url)).name.removeprefix("D")
        return AiohttpClientMockResponse(
            method, url, json=exercise_json(f"D{day}", start=f"{day}T08:00:00")
        )

    async def hanging(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await answered.wait()
        return AiohttpClientMockResponse(method, url, json=[])

    polar_api.get(ANY_EXERCISE, side_effect=exercise)
    # Drops the fixture's route for any day (it matches the first day), then answers every day.
    replace_route(polar_api, "get", f"{API}/v3/users/cardio-load/{days[0]}", side_effect=hanging)
    polar_api.get(CARDIO_LOAD_BY_DATE, side_effect=hanging)
    try:
        for day in days:
            assert (await post_webhook(notice_json(f"D{day}"))).status == 200
            await hass.async_block_till_done()
        assert [event.data["exercise_id"] for event in events] == [f"D{day}" for day in days]
        assert (await notices(hass, hass_client, setup_integration))["dropped"] == 0
        # One day's cardio load is asked at a time; the rest wait in the places left to them.
        cardio = await notices(hass, hass_client, setup_integration, "cardio_load")
        assert cardio["dropped"] == len(days) - (MAX_PENDING_FETCHES - KEPT_FOR_PUSH)
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
        assert diagnostics["webhook"]["pending_fetches"] == [
            MAX_PENDING_FETCHES - KEPT_FOR_PUSH,
            MAX_PENDING_FETCHES,
        ]
    finally:
        answered.set()
        await hass.async_block_till_done(wait_background_tasks=True)

    # The catch-up of the cardio loads not asked lists that kind, and no other.
    polar_api.mock_calls.clear()
    await move_time(hass, DROPPED_CATCH_UP_DELAY + 1)
    listed = {URL(str(url)).path for _, url, *_ in polar_api.mock_calls}
    assert listed == {"/v3/users/cardio-load"}


async def test_accounts_of_one_client_share_the_rate_limit_wait(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> None:
    """Polar limits a client, not an account: after one account's 429 the others wait too."""
    bob = make_entry(OTHER_USER_ID, "Bob")
    bob.add_to_hass(hass)
    assert await hass.config_entries.async_setup(bob.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    replace_route(
        polar_api, "get", f"{API}/v3/exercises/EX6", side_effect=sequence((429, {"status": 429}))
    )
    polar_api.get(f"{API}/v3/exercises/B00", json=exercise_json("B00"))
    await post_webhook(notice_json("EX6"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await post_webhook(notice_json("B00", user_id=OTHER_USER_ID))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [str(call[1]) for call in polar_api.mock_calls] == [f"{API}/v3/exercises/EX6"]


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


async def test_a_failing_catch_up_becomes_a_full_refresh(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> None:
    """The kind behind cannot be listed either: every kind is, and the diagnostics tell."""
    replace_route(
        polar_api, "get", f"{API}/v3/exercises/EX9", side_effect=sequence((404, NOT_FOUND))
    )
    await post_webhook(notice_json("EX9"))
    await run_retries(hass)
    replace_route(polar_api, "get", f"{API}/v3/exercises", status=500)
    freezer.tick(timedelta(seconds=fetcher_module.BACKOFF_MAX + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    listed = {URL(str(url)).path for _, url, *_ in polar_api.mock_calls}
    assert {"/v3/exercises", "/v3/users/sleep", "/v3/users/activities"} <= listed
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    assert diagnostics["account"]["last_update_success"] is False


@pytest.mark.usefixtures("setup_integration")
async def test_server_errors_back_off_then_succeed(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """5xx answers are retried with backoff until the exercise arrives."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX5",
        side_effect=sequence((503, {}), (500, {}), (200, exercise_json("EX5"))),
    )
    await post_webhook(notice_json("EX5"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX5") == 3
    assert [event.data["exercise_id"] for event in events] == ["EX5"]


async def test_rate_limit_waits_for_reset(
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """After a 429 nothing is asked of Polar before the reset; then the exercise is caught up."""
    replace_route(
        polar_api, "get", f"{API}/v3/exercises/EX6", side_effect=sequence((429, {"status": 429}))
    )
    await post_webhook(notice_json("EX6"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await post_webhook(notice_json("EX7"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(call[0], str(call[1])) for call in polar_api.mock_calls] == [
        ("GET", f"{API}/v3/exercises/EX6")
    ]
    assert events == []

    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert polar_api.call_count == 1

    exercises.append(exercise_json("EX6", start="2026-11-27T07:00:00"))
    exercises.append(exercise_json("EX7", start="2026-11-27T07:30:00"))
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert [event.data["exercise_id"] for event in events] == ["EX6", "EX7"]


@pytest.mark.usefixtures("setup_integration")
async def test_revoked_token_starts_reauth_once(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """A 401 starts one reauth flow, and later notices ask nothing of Polar."""
    for item in ("EX1", "EX2"):
        replace_route(polar_api, "get", f"{API}/v3/exercises/{item}", status=401, json={})
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await post_webhook(notice_json("EX2"))
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert polar_api.call_count == 1
    assert events == []


async def test_consent_repair_issue(
    hass: HomeAssistant,
    setup_credentials: None,
    aioclient_mock: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """403 from AccessLink raises a repair issue about consents."""
    aioclient_mock.get(f"{API}/v3/exercises", status=403, json={"status": 403})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(DOMAIN, f"consents_{USER_ID}")
    assert issue is not None
    assert issue.translation_key == "consents"


async def test_refresh_while_rate_limited_says_why(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update asked for before Polar's rate limit resets fails with a translated reason."""
    assert await async_setup_component(hass, "homeassistant", {})
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX1",
        status=429,
        json={"status": 429},
        headers={"Retry-After": "300"},
    )
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    caplog.clear()

    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.alice_runner_last_exercise_sport"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert requests_to(polar_api, "GET", "/v3/exercises") == 0
    (message,) = [
        record.getMessage() for record in caplog.records if "Error fetching" in record.getMessage()
    ]
    assert message.endswith("Polar's rate limit was reached; waiting for it to reset")


async def test_item_in_flight_is_fetched_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Notices of an exercise still being fetched ask Polar nothing more: duplicates."""
    answer = asyncio.Event()

    async def slow(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await answer.wait()
        return AiohttpClientMockResponse(method, url, json=exercise_json("EX1"))

    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=slow)
    for _ in range(3):
        assert (await post_webhook(notice_json("EX1"))).status == 200
        await hass.async_block_till_done()
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    counts = await notices(hass, hass_client, setup_integration)
    assert (counts["received"], counts["duplicates"], counts["published"]) == (3, 2, 1)


async def test_server_errors_that_persist_are_left_to_catch_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """5xx on every attempt: a bounded number of tries, counted, then the catch-up publishes it."""
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX5", status=500, json={"status": 500})
    await post_webhook(notice_json("EX5"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX5") == fetcher_module.FETCH_ATTEMPTS
    assert events == []
    assert (await notices(hass, hass_client, setup_integration))["failed"] == 1

    exercises.append(exercise_json("EX5", start="2026-11-27T07:00:00"))
    # The backoff sleeps on the event loop's clock, which a frozen clock would stop.
    await move_time(hass, fetcher_module.BACKOFF_MAX + 1)
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert [event.data["exercise_id"] for event in events] == ["EX5"]


async def test_consents_withdrawn_while_fetching_raise_the_issue(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    events: list[Event],
) -> None:
    """403 on a fetch raises the consent issue without retrying; a good listing clears it."""
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", status=403, json={"status": 403})
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert events == []
    issue = issue_registry.async_get_issue(DOMAIN, f"consents_{USER_ID}")
    assert issue is not None
    assert issue.translation_key == "consents"
    assert setup_integration.state is ConfigEntryState.LOADED

    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, f"consents_{USER_ID}") is None


async def test_unexpected_failure_gives_the_place_back(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fetch failing in a way nobody foresaw is counted, warned once, and blocks nothing."""

    async def broken(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        raise RuntimeError("Session is closed")

    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=broken)
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await notices(hass, hass_client, setup_integration))["failed"] == 1
    assert "Fetching the exercise EX1 failed unexpectedly (RuntimeError)" in caplog.text
    assert "Task exception was never retrieved" not in caplog.text

    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", json=exercise_json("EX1"))
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
