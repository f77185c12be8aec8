"""Cardio load: fetched for the day of each exercise and listed once a day (Polar pushes none)."""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.polar_flow.const import EVENT_CARDIO_LOAD, RECONCILE_INTERVAL

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    enable_entities,
    exercise_json,
    load_fixture,
    move_time,
    notice_json,
    replace_route,
    requests_to,
)

DAY = "2026-11-27"
LIST = "/v3/users/cardio-load"
EVENT_ENTITY = "event.alice_runner_cardio_load"
STATUS_SENSOR = "sensor.alice_runner_cardio_load_status"


def day_load(day: str, **changes: Any) -> dict[str, Any]:
    """Return the cardio load of one day as AccessLink serves it, some values changed."""
    return load_fixture("cardio_load", date=day, **changes)


@pytest.fixture
def cardio_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_cardio_load events."""
    return async_capture_events(hass, EVENT_CARDIO_LOAD)


@pytest.fixture
def cardio_loads() -> list[dict[str, Any]]:
    """Serve one earlier calculated day and a day Polar could not calculate."""
    return [
        day_load("2026-11-25", cardio_load_status="MAINTAINING", cardio_load=40.0),
        {"date": "2026-11-26", "cardio_load_status": "LOAD_STATUS_NOT_AVAILABLE"},
    ]


async def push_exercise(
    hass: HomeAssistant, post_webhook: PostWebhook, exercise_id: str = "EX1"
) -> None:
    """Push an EXERCISE notice and let its work finish."""
    response = await post_webhook(notice_json(exercise_id))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def reconcile(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the next reconcile run."""
    freezer.tick(RECONCILE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_first_setup_shows_the_newest_day_without_events(
    hass: HomeAssistant, setup_integration: MockConfigEntry, cardio_events: list[Event]
) -> None:
    """The first listing is a baseline; a day Polar could not calculate is left out."""
    assert cardio_events == []
    assert hass.states.get("sensor.alice_runner_cardio_load").state == "40.0"
    assert hass.states.get(STATUS_SENSOR).state == "maintaining"
    assert hass.states.get(EVENT_ENTITY).state == "unknown"


async def test_exercise_brings_its_days_cardio_load(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A published exercise fetches the cardio load of its local start date, published once."""
    cardio_loads.append(day_load(DAY))
    polar_api.mock_calls.clear()
    await push_exercise(hass, post_webhook)
    await push_exercise(hass, post_webhook)
    assert requests_to(polar_api, "GET", f"{LIST}/{DAY}") == 1

    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert [event.data for event in cardio_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": DAY,
            "status": "productive",
            "cardio_load": 96.4,
            "strain": 61.2,
            "tolerance": 55.8,
            "load_ratio": 1.1,
        }
    ]
    assert hass.states.get("sensor.alice_runner_cardio_load").state == "96.4"
    assert hass.states.get("sensor.alice_runner_cardio_load_strain").state == "61.2"
    assert hass.states.get("sensor.alice_runner_cardio_load_tolerance").state == "55.8"
    assert hass.states.get(STATUS_SENSOR).state == "productive"
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "productive"


async def test_second_exercise_of_the_day_publishes_the_day_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
) -> None:
    """The day's load grows with each exercise: the changed day is published once more."""
    polar_api.get(
        "https://www.polaraccesslink.com/v3/exercises/EX4",
        json=exercise_json("EX4", start="2026-11-27T18:30:00"),
    )
    cardio_loads.append(day_load(DAY))
    await push_exercise(hass, post_webhook)
    cardio_loads[-1] = day_load(DAY, cardio_load=150.2, cardio_load_status="OVERREACHING")
    await push_exercise(hass, post_webhook, "EX4")
    assert [(event.data["cardio_load"], event.data["status"]) for event in cardio_events] == [
        (96.4, "productive"),
        (150.2, "overreaching"),
    ]
    assert hass.states.get(STATUS_SENSOR).state == "overreaching"


async def test_listed_once_a_day(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reconciles every 6 h list cardio load once a day, which brings the days not fetched."""
    polar_api.mock_calls.clear()
    cardio_loads.append(day_load(DAY, cardio_load_status="DETRAINING", cardio_load=0.0))
    for _ in range(3):
        await reconcile(hass, freezer)
    assert requests_to(polar_api, "GET", LIST) == 0
    assert cardio_events == []

    await reconcile(hass, freezer)
    await reconcile(hass, freezer)
    assert requests_to(polar_api, "GET", LIST) == 1
    assert [(event.data["date"], event.data["status"]) for event in cardio_events] == [
        (DAY, "detraining")
    ]


@pytest.mark.parametrize(
    ("status", "event_type", "state"),
    [
        (
            "RECOVERY_AFTER_OVERREACHING",
            "recovery_after_overreaching",
            "recovery_after_overreaching",
        ),
        (
            "PRODUCTIVE_ALMOST_OVERREACHING",
            "productive_almost_overreaching",
            "productive_almost_overreaching",
        ),
        ("LOAD_STATUS_NOT_AVAILABLE", "measured", "unknown"),
        ("UNRECOGNIZED", "measured", "unknown"),
        ("SOMETHING_NEW", "measured", "unknown"),
        (None, "measured", "unknown"),
    ],
)
async def test_status_outside_the_known_ones_is_measured(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
    status: str | None,
    event_type: str,
    state: str,
) -> None:
    """A day with values but no status Polar's spec names fires as 'measured'."""
    cardio_loads.append(day_load(DAY, cardio_load_status=status))
    await push_exercise(hass, post_webhook)
    assert [event.data["status"] for event in cardio_events] == [
        None if event_type == "measured" else event_type
    ]
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == event_type
    assert hass.states.get(STATUS_SENSOR).state == state


async def test_day_not_calculated_publishes_nothing(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
) -> None:
    """Polar lists a placeholder for a day it cannot calculate yet: nothing is published."""
    cardio_loads.append({"date": DAY, "cardio_load_status": "LOAD_STATUS_NOT_AVAILABLE"})
    await push_exercise(hass, post_webhook)
    assert requests_to(polar_api, "GET", f"{LIST}/{DAY}") == 1
    assert cardio_events == []
    assert hass.states.get("sensor.alice_runner_cardio_load").state == "40.0"


async def test_load_ratio_sensor(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
) -> None:
    """The load ratio is disabled by default and shows once a user enables it."""
    ratio = "sensor.alice_runner_cardio_load_ratio"
    assert hass.states.get(ratio) is None
    await enable_entities(hass, setup_integration, ratio)
    cardio_loads.append(day_load(DAY))
    await push_exercise(hass, post_webhook)
    assert hass.states.get(ratio).state == "1.1"


async def test_cardio_load_of_the_local_start_date(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """An exercise started after local midnight counts for its local date, not the UTC one."""
    polar_api.get(
        "https://www.polaraccesslink.com/v3/exercises/EX5",
        json=exercise_json("EX5", start="2026-11-28T00:30:00"),
    )
    polar_api.mock_calls.clear()
    await push_exercise(hass, post_webhook, "EX5")
    assert requests_to(polar_api, "GET", f"{LIST}/2026-11-28") == 1
    assert requests_to(polar_api, "GET", f"{LIST}/{DAY}") == 0


async def test_exercise_caught_up_brings_its_days_cardio_load(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
) -> None:
    """An exercise whose push was lost, found by the 6-hourly reconcile, fetches its day too."""
    exercises.append(exercise_json("EX3", start=f"{DAY}T07:00:00"))
    cardio_loads.append(day_load(DAY))
    polar_api.mock_calls.clear()
    await reconcile(hass, freezer)
    # The cardio load list is not due (once a day): the day is fetched by its date, once.
    assert requests_to(polar_api, "GET", LIST) == 0
    assert requests_to(polar_api, "GET", f"{LIST}/{DAY}") == 1
    assert [event.data["date"] for event in cardio_events] == [DAY]


async def test_burst_of_exercises_fetches_the_day_at_most_twice(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    cardio_events: list[Event],
) -> None:
    """Exercises published while their day's cardio load is being fetched ask for it once more."""
    answers = [day_load(DAY, cardio_load=50.0), day_load(DAY, cardio_load=96.4)]
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        asked.set()
        await answer.wait()
        return AiohttpClientMockResponse(method, url, json=[answers.pop(0)])

    replace_route(polar_api, "get", f"{API}/v3/users/cardio-load/{DAY}", side_effect=slow)
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await asked.wait()
    for exercise_id in ("EX2", "EX3"):
        assert (await post_webhook(notice_json(exercise_id))).status == 200
        await hass.async_block_till_done()
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", f"{LIST}/{DAY}") == 2
    assert [event.data["cardio_load"] for event in cardio_events] == [50.0, 96.4]
    assert hass.states.get("sensor.alice_runner_cardio_load").state == "96.4"


async def test_day_that_failed_is_listed_at_the_next_catch_up(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    cardio_loads: list[dict[str, Any]],
    cardio_events: list[Event],
) -> None:
    """A day's cardio load that cannot be fetched is listed by the next catch-up, not in a day."""
    monkeypatch.setattr("custom_components.polar_flow.fetcher.BACKOFF_INITIAL", 0.001)
    replace_route(polar_api, "get", f"{API}/v3/users/cardio-load/{DAY}", status=500, json={})
    cardio_loads.append(day_load(DAY))
    polar_api.mock_calls.clear()
    await push_exercise(hass, post_webhook)
    assert cardio_events == []
    assert requests_to(polar_api, "GET", LIST) == 0

    await move_time(hass, 61)
    assert requests_to(polar_api, "GET", LIST) == 1
    assert [event.data["date"] for event in cardio_events] == [DAY]
