"""Each exercise: bus event, event entity, sensors, catch-up and AccessLink failures."""

from __future__ import annotations

from datetime import timedelta
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
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    enable_entities,
    exercise_json,
    make_entry,
    notice_json,
    replace_route,
    requests_to,
    sequence,
)

SENSOR_PREFIX = "sensor.alice_runner_last_exercise"
SECONDARY_SENSORS = tuple(
    f"{SENSOR_PREFIX}_{key}"
    for key in ("average_heart_rate", "maximum_heart_rate", "training_load")
)
EVENT_ENTITY = "event.alice_runner_exercise"


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the retry backoff so the tests do not sleep."""
    monkeypatch.setattr("custom_components.polar_flow.fetcher.BACKOFF_INITIAL", 0.001)


@pytest.mark.usefixtures("setup_integration")
async def test_first_setup_takes_a_baseline(
    hass: HomeAssistant, events: list[Event], snapshot: SnapshotAssertion
) -> None:
    """The first setup shows the latest listed exercise and fires nothing."""
    assert events == []
    assert hass.states.get(f"{SENSOR_PREFIX}_sport").state == "running"
    assert hass.states.get(f"{SENSOR_PREFIX}_start").state == "2026-11-20T05:00:00+00:00"
    assert hass.states.get(EVENT_ENTITY).state == "unknown"
    states = sorted(
        (state for state in hass.states.async_all() if state.entity_id.startswith("sensor.")),
        key=lambda state: state.entity_id,
    )
    assert [(state.entity_id, state.state, dict(state.attributes)) for state in states] == snapshot


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


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_event_attributes_have_translated_names(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    language: str,
) -> None:
    """The exercise's attributes in the event entity's details are named in the user's language."""
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    own = set(hass.states.get(EVENT_ENTITY).attributes) - {
        "event_type",
        "event_types",
        "friendly_name",
    }
    assert own
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity.event.exercise.state_attributes"
    assert {key for key in own if not translations.get(f"{prefix}.{key}.name")} == set()


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


async def test_catch_up_after_restart(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """Exercises uploaded while Home Assistant was down are published once, in order."""
    entry = setup_integration
    assert await hass.config_entries.async_unload(entry.entry_id)
    exercises.append(exercise_json("EX2", start="2026-11-26T18:00:00"))
    exercises.append(exercise_json("EX1", start="2026-11-25T18:00:00"))
    polar_api.mock_calls.clear()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1", "EX2"]
    assert hass.states.get(f"{SENSOR_PREFIX}_start").state == "2026-11-26T16:00:00+00:00"
    # The event entity was listening already: it fired for the exercises caught up.
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX2"

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2


async def test_reconcile_finds_a_lost_push(
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """An exercise whose notice never came is published by the periodic reconcile."""
    exercises.append(exercise_json("EX3", start="2026-11-27T07:00:00"))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX3"]


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
    issue_registry: Any,
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


async def test_catch_up_at_startup_waits_for_home_assistant(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
    hass_storage: dict[str, Any],
) -> None:
    """At boot, missed exercises are published once Home Assistant runs, when automations listen."""
    hass_storage[f"{DOMAIN}.account_{USER_ID}"] = {
        "version": 1,
        "key": f"{DOMAIN}.account_{USER_ID}",
        "data": {"seen": {"EX0": 1.0e12}, "latest": None},
    }
    exercises.append(exercise_json("EX1", start="2026-11-25T18:00:00"))
    hass.set_state(CoreState.starting)
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 0

    await hass.async_start()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX1"
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1
