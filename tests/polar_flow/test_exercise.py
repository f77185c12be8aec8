"""Exercises: what is fetched for a notice, and how an exercise shows in events and sensors."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    enable_entities,
    exercise_json,
    notice_json,
    replace_route,
    requests_to,
)

SENSOR_PREFIX = "sensor.alice_runner_last_exercise"
SECONDARY_SENSORS = tuple(
    f"{SENSOR_PREFIX}_{key}"
    for key in ("average_heart_rate", "maximum_heart_rate", "training_load")
)
EVENT_ENTITY = "event.alice_runner_exercise"
TRAINING_LOAD = "sensor.alice_runner_last_exercise_training_load"


@pytest.fixture
def training_load_enabled(entity_registry: er.EntityRegistry) -> None:
    """Register the training load sensor enabled, as a user who turned it on."""
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{USER_ID}_last_exercise_training_load",
        suggested_object_id="alice_runner_last_exercise_training_load",
    )


async def test_secondary_sensors_are_disabled_by_default(
    hass: HomeAssistant, setup_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Heart rates and training load are there to enable; the other sensors are on."""
    sensors = {
        entry.entity_id: entry.disabled_by
        for entry in er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
        if entry.domain == "sensor" and entry.entity_id.startswith(SENSOR_PREFIX)
    }
    assert {
        entity_id for entity_id, disabled_by in sensors.items() if disabled_by is not None
    } == set(SECONDARY_SENSORS)
    assert {sensors[entity_id] for entity_id in SECONDARY_SENSORS} == {
        er.RegistryEntryDisabler.INTEGRATION
    }
    assert all(hass.states.get(entity_id) is None for entity_id in SECONDARY_SENSORS)

    await enable_entities(hass, setup_integration, *SECONDARY_SENSORS)
    assert hass.states.get(f"{SENSOR_PREFIX}_average_heart_rate").state == "148"


async def test_exercise_notice_publishes_everywhere(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A pushed exercise reaches the bus, the event entity and every sensor."""
    await enable_entities(hass, setup_integration, *SECONDARY_SENSORS)
    response = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 200

    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert device is not None
    assert len(events) == 1
    data = events[0].data
    assert data == {
        "device_id": device.id,
        "config_entry_id": setup_integration.entry_id,
        "user_id": USER_ID,
        "exercise_id": "EX1",
        "sport": "RUNNING",
        "detailed_sport": "RUNNING",
        "start": "2026-11-27T08:00:00+02:00",
        "duration": 2530.0,
        "distance": 8123.5,
        "calories": 530,
        "heart_rate_average": 148,
        "heart_rate_maximum": 176,
        "training_load": 95.5,
        "device": "Polar Vantage V3",
    }
    event_state = hass.states.get(EVENT_ENTITY)
    assert event_state.state != "unknown"
    assert event_state.attributes["event_type"] == "exercise"
    assert event_state.attributes["exercise_id"] == "EX1"
    expected = {
        "sport": "running",
        "start": "2026-11-27T06:00:00+00:00",
        "duration": "42.1666666666667",
        "distance": "8.1235",
        "calories": "530",
        "average_heart_rate": "148",
        "maximum_heart_rate": "176",
        "training_load": "96",
    }
    assert {key: hass.states.get(f"{SENSOR_PREFIX}_{key}").state for key in expected} == expected
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    entry = entity_registry.async_get(f"{SENSOR_PREFIX}_sport")
    assert entry is not None
    assert entry.unique_id == f"{USER_ID}_last_exercise_sport"


async def test_unknown_sport_is_other(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """A sport the integration does not know shows as 'other' and keeps its name in the event."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX9",
        json=exercise_json("EX9", sport="UNDERWATER_RUGBY"),
    )
    await post_webhook(notice_json("EX9"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{SENSOR_PREFIX}_sport").state == "other"
    assert events[0].data["sport"] == "UNDERWATER_RUGBY"


@pytest.mark.usefixtures("training_load_enabled", "setup_integration")
async def test_training_load_is_a_whole_number(
    hass: HomeAssistant, post_webhook: PostWebhook, polar_api: AiohttpClientMocker
) -> None:
    """Training load shows as a whole number, the way the frontend displays a unitless state."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX1",
        json={**exercise_json("EX1"), "training_load": 95.53},
    )
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(TRAINING_LOAD)
    # The frontend formats only states with a unit or a state class; this one has neither,
    # so it shows the state as it is.
    assert "unit_of_measurement" not in state.attributes
    assert "state_class" not in state.attributes
    assert state.state == "96"


@pytest.mark.usefixtures("setup_integration")
async def test_exercise_without_a_sport_leaves_the_sport_unknown(
    hass: HomeAssistant, post_webhook: PostWebhook, polar_api: AiohttpClientMocker
) -> None:
    """An exercise AccessLink serves without a sport shows no sport, not a stale or raw one."""
    exercise = {**exercise_json("EX1", start="2026-11-28T08:00:00"), "sport": ""}
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", json=exercise)
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.alice_runner_last_exercise_start").state.startswith(
        "2026-11-28T"
    )
    assert hass.states.get("sensor.alice_runner_last_exercise_sport").state == "unknown"


async def test_exercise_with_only_an_id(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """AccessLink may leave out every field but the id: the event says None, sensors unknown."""
    await enable_entities(hass, setup_integration, *SECONDARY_SENSORS)
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX4", json={"id": "EX4"})
    await post_webhook(notice_json("EX4"))
    await hass.async_block_till_done(wait_background_tasks=True)
    (event,) = events
    assert {key: value for key, value in event.data.items() if value is not None} == {
        "device_id": event.data["device_id"],
        "config_entry_id": setup_integration.entry_id,
        "user_id": USER_ID,
        "exercise_id": "EX4",
    }
    sensors = [f"{SENSOR_PREFIX}_{key}" for key in ("start", "sport", "duration", "distance")]
    sensors += [f"{SENSOR_PREFIX}_calories", *SECONDARY_SENSORS]
    assert {hass.states.get(sensor).state for sensor in sensors} == {"unknown"}
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX4"
