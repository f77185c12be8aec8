"""Body sensing: SpO2, skin and body temperature, listed daily, shown once an account has them."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.accesslink import AccessLinkClient, AccessLinkUser
from custom_components.polar_flow.body import BODY_TEMPERATURE, SKIN_TEMPERATURE, SPO2
from custom_components.polar_flow.const import (
    DOMAIN,
    EVENT_BODY_TEMPERATURE,
    EVENT_SKIN_TEMPERATURE,
    EVENT_SPO2,
)

from .conftest import API, FIXTURES, NOT_FOUND, replace_route, requests_to

PATHS = {
    "spo2": "/v3/users/biosensing/spo2",
    "skin_temperature": "/v3/users/biosensing/skintemperature",
    "body_temperature": "/v3/users/biosensing/bodytemperature",
}
BUS_EVENTS = {
    "spo2": EVENT_SPO2,
    "skin_temperature": EVENT_SKIN_TEMPERATURE,
    "body_temperature": EVENT_BODY_TEMPERATURE,
}
DAY = 24 * 3600
RECONCILE = 6 * 3600
# What the fixtures show on the sensors enabled by default.
ENABLED = {
    "sensor.alice_runner_blood_oxygen": "97",
    "sensor.alice_runner_blood_oxygen_class": "normal",
    "sensor.alice_runner_sleep_skin_temperature": "34.9",
    "sensor.alice_runner_skin_temperature_deviation": "0.4",
    "sensor.alice_runner_body_temperature": "34.1",
}
EVENT_ENTITIES = {
    "spo2": "event.alice_runner_spo2_test",
    "skin_temperature": "event.alice_runner_sleep_skin_temperature",
    "body_temperature": "event.alice_runner_body_temperature",
}


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let Home Assistant's clock, and the wall clock, run on."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def json_list(name: str) -> list[dict[str, Any]]:
    """Return a biosensing list of fixtures/ as AccessLink serves it."""
    items: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text())
    return items


def body_entities(entity_registry: er.EntityRegistry, entry: MockConfigEntry) -> set[str]:
    """Return the registered entities of the body sensing kinds."""
    keys = {
        description.key
        for kind in (SPO2, SKIN_TEMPERATURE, BODY_TEMPERATURE)
        for description in (kind.event, *kind.sensors)
    }
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.unique_id.split("_", 1)[1] in keys
    }


@pytest.fixture
def bus_events(hass: HomeAssistant) -> dict[str, list[Event]]:
    """Collect the body sensing bus events by kind."""
    return {kind: async_capture_events(hass, event) for kind, event in BUS_EVENTS.items()}


@pytest.fixture
def served(
    spo2_tests: list[dict[str, Any]],
    skin_temperatures: list[dict[str, Any]],
    body_temperatures: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Return what AccessLink lists per kind; tests fill it as a device with the sensors syncs."""
    return {
        "spo2": spo2_tests,
        "skin_temperature": skin_temperatures,
        "body_temperature": body_temperatures,
    }


def fill(served: dict[str, list[dict[str, Any]]]) -> None:
    """Let AccessLink list the fixtures' items of every kind."""
    for kind, items in served.items():
        items[:] = json_list(kind)


def calls(polar_api: AiohttpClientMocker) -> dict[str, int]:
    """Count the requests to each biosensing list."""
    return {kind: requests_to(polar_api, "GET", path) for kind, path in PATHS.items()}


async def test_account_without_the_sensors_gets_no_entities(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """A device without the sensors: one listing each, no entities, nothing unavailable."""
    assert calls(polar_api) == dict.fromkeys(PATHS, 1)
    assert body_entities(entity_registry, setup_integration) == set()
    assert hass.states.get("sensor.alice_runner_blood_oxygen") is None
    assert hass.states.get("sensor.alice_runner_sleep_score").state != "unavailable"


@pytest.mark.usefixtures("setup_credentials")
async def test_not_found_is_no_data_and_fails_nothing(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """AccessLink answers 404 for the sensors an account lacks: no entities, no failed update."""
    for path in PATHS.values():
        replace_route(polar_api, "get", f"{API}{path}", status=404, json=NOT_FOUND)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(polar_api) == dict.fromkeys(PATHS, 1)
    assert config_entry.runtime_data.coordinator.last_update_success
    assert body_entities(entity_registry, config_entry) == set()


async def test_listed_once_a_day_also_across_restarts(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
) -> None:
    """Each reconcile lists the other kinds; body sensing is asked once a day, restarts or not."""
    polar_api.mock_calls.clear()
    await later(hass, freezer, RECONCILE + 1)
    assert requests_to(polar_api, "GET", "/v3/users/sleep") == 1
    assert calls(polar_api) == dict.fromkeys(PATHS, 0)

    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/users/sleep") == 2
    assert calls(polar_api) == dict.fromkeys(PATHS, 0)

    await later(hass, freezer, DAY)
    assert calls(polar_api) == dict.fromkeys(PATHS, 1)


async def test_entities_appear_with_the_first_item(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    served: dict[str, list[dict[str, Any]]],
    bus_events: dict[str, list[Event]],
) -> None:
    """Once the device syncs, the next daily listing publishes each item and adds its entities."""
    fill(served)
    await later(hass, freezer, DAY + 1)
    # Two nights of skin temperature; the sensors show the later one.
    assert {kind: len(events) for kind, events in bus_events.items()} == {
        "spo2": 1,
        "skin_temperature": 2,
        "body_temperature": 1,
    }
    assert {entity: hass.states.get(entity).state for entity in ENABLED} == ENABLED
    # The event entities, added with the first item, fired for it.
    assert {
        hass.states.get(entity).attributes["event_type"] for entity in EVENT_ENTITIES.values()
    } == {
        "passed",
        "measured",
    }
    blood_oxygen = hass.states.get("sensor.alice_runner_blood_oxygen")
    assert blood_oxygen.name == "Alice Runner Blood oxygen"
    assert blood_oxygen.attributes["unit_of_measurement"] == "%"
    skin = hass.states.get("sensor.alice_runner_sleep_skin_temperature")
    assert (skin.attributes["device_class"], skin.attributes["unit_of_measurement"]) == (
        "temperature",
        "°C",
    )
    deviation = hass.states.get("sensor.alice_runner_skin_temperature_deviation")
    assert deviation.attributes["device_class"] == "temperature_delta"
    disabled = body_entities(entity_registry, setup_integration) - set(ENABLED)
    assert {
        entity_id
        for entity_id in disabled
        if entity_registry.async_get(entity_id).disabled_by is None
    } == set(EVENT_ENTITIES.values())


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_first_setup_takes_a_baseline(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    served: dict[str, list[dict[str, Any]]],
    bus_events: dict[str, list[Event]],
) -> None:
    """What AccessLink already lists shows on the sensors without a flood of events."""
    fill(served)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert {entity: hass.states.get(entity).state for entity in ENABLED} == ENABLED
    assert {kind: len(events) for kind, events in bus_events.items()} == dict.fromkeys(PATHS, 0)


async def test_same_content_once_changed_content_again(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    served: dict[str, list[dict[str, Any]]],
    bus_events: dict[str, list[Event]],
) -> None:
    """A night's skin temperature listed again unchanged is not news; a late change is."""
    fill(served)
    await later(hass, freezer, DAY + 1)
    await later(hass, freezer, DAY + 1)
    assert [event.data["date"] for event in bus_events["skin_temperature"]] == [
        "2026-11-28",
        "2026-11-29",
    ]

    served["skin_temperature"][1] = {
        **served["skin_temperature"][1],
        "deviation_from_baseline_celsius": 0.9,
    }
    await later(hass, freezer, DAY + 1)
    assert [
        (event.data["date"], event.data["deviation"]) for event in bus_events["skin_temperature"]
    ] == [("2026-11-28", -0.3), ("2026-11-29", 0.4), ("2026-11-29", 0.9)]
    assert hass.states.get("sensor.alice_runner_skin_temperature_deviation").state == "0.9"
    assert hass.states.get(EVENT_ENTITIES["skin_temperature"]).attributes["deviation"] == 0.9


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.EVENT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "setup_credentials", "polar_api")
async def test_body_entities(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    served: dict[str, list[dict[str, Any]]],
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every body sensing sensor and event entity, enabled, of an account with the sensors."""
    fill(served)
    config_entry.add_to_hass(hass)
    with patch("custom_components.polar_flow.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    ours = body_entities(entity_registry, config_entry)
    for entity in er.async_entries_for_config_entry(entity_registry, config_entry.entry_id):
        if entity.entity_id not in ours:
            entity_registry.async_remove(entity.entity_id)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_names_states_and_attributes_are_translated(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    served: dict[str, list[dict[str, Any]]],
    language: str,
) -> None:
    """Each entity, enum state, event type and event attribute is named in the user's language."""
    fill(served)
    await later(hass, freezer, DAY + 1)
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity"
    missing: list[str] = []
    for entity_id in body_entities(entity_registry, setup_integration):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        base = f"{prefix}.{entry.domain}.{entry.translation_key}"
        names = [f"{base}.name"]
        if entry.domain == "sensor" and (options := (entry.capabilities or {}).get("options")):
            names += [f"{base}.state.{option}" for option in options]
        if entry.domain == "event":
            state = hass.states.get(entity_id)
            names += [
                f"{base}.state_attributes.event_type.state.{event_type}"
                for event_type in state.attributes["event_types"]
            ]
            own = set(state.attributes) - {"event_type", "event_types", "friendly_name"}
            assert own
            names += [f"{base}.state_attributes.{key}.name" for key in own]
        missing += [name for name in names if not translations.get(name)]
    assert missing == []


@pytest.mark.parametrize(
    ("kind", "key", "query", "other"),
    [
        (
            SPO2,
            "2026-11-29T06:00:00+00:00",
            {"from": "2026-11-28", "to": "2026-11-30"},
            {"test_time": 1795935600},
        ),
        (
            SKIN_TEMPERATURE,
            "2026-11-29",
            {"from": "2026-11-29", "to": "2026-11-29"},
            {"sleep_date": "2026-11-27"},
        ),
        (
            BODY_TEMPERATURE,
            "2026-11-29T05:00:00+00:00",
            {"from": "2026-11-28", "to": "2026-11-30"},
            {"start_time": "2026-11-29T06:00:00"},
        ),
    ],
    ids=["spo2", "skin_temperature", "body_temperature"],
)
async def test_fetch_by_key_asks_for_its_days(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    kind: Any,
    key: str,
    query: dict[str, str],
    other: dict[str, Any],
) -> None:
    """A kind's item is fetched by listing the days around it; only the item of its key comes."""
    path = PATHS[kind.key]
    served = json_list(kind.key)
    aioclient_mock.get(f"{API}{path}", json=[*served, {**served[0], **other}])

    async def token() -> str:
        return "user-access-token"

    user = AccessLinkUser(AccessLinkClient(async_get_clientsession(hass)), 1, token)
    (item,) = await kind.fetch(user, key)
    assert item.key == key
    ((_, url, *_),) = aioclient_mock.mock_calls
    assert dict(URL(str(url)).query) == query


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_restart_shows_the_stored_items_without_listing(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    served: dict[str, list[dict[str, Any]]],
) -> None:
    """After a restart within the day the sensors show what was stored; nothing is asked."""
    fill(served)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    shown = {
        state.entity_id: state.state
        for state in hass.states.async_all()
        if state.entity_id in ENABLED or state.entity_id in EVENT_ENTITIES.values()
    }
    polar_api.mock_calls.clear()
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(polar_api) == dict.fromkeys(PATHS, 0)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in shown} == shown


@pytest.mark.parametrize(
    ("changes", "event_type", "spo2_class"),
    [
        (
            {"test_status": "SPO2_TEST_INCONCLUSIVE_TOO_MANY_MISSING_SAMPLES"},
            "inconclusive",
            "normal",
        ),
        (
            {"test_status": "SPO2_TEST_NEW", "spo2_class": "SPO2_CLASS_UNKNOWN"},
            "measured",
            "unknown",
        ),
        ({"test_status": None, "spo2_class": "CLASS_LOW"}, "measured", "unknown"),
    ],
)
async def test_spo2_without_a_known_result(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    served: dict[str, list[dict[str, Any]]],
    bus_events: dict[str, list[Event]],
    changes: dict[str, Any],
    event_type: str,
    spo2_class: str,
) -> None:
    """An inconclusive test fires as such; unknown results and classes are no state."""
    served["spo2"][:] = [{**json_list("spo2")[0], **changes}]
    await later(hass, freezer, DAY + 1)
    (event,) = bus_events["spo2"]
    assert event.data["status"] == (None if event_type == "measured" else event_type)
    assert hass.states.get(EVENT_ENTITIES["spo2"]).attributes["event_type"] == event_type
    assert hass.states.get("sensor.alice_runner_blood_oxygen_class").state == spo2_class
