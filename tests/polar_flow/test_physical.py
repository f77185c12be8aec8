"""Physical information: pushed without a date, published once per change, never personal data."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.polar_flow.const import EVENT_PHYSICAL_INFORMATION, RECONCILE_INTERVAL

from .conftest import API, USER_ID, PostWebhook, enable_entities, load_fixture, requests_to

PATH = "/v3/users/physical-info"
EVENT_ENTITY = "event.alice_runner_physical_information"
SECONDARY = {
    "sensor.alice_runner_maximum_heart_rate": "188",
    "sensor.alice_runner_aerobic_threshold": "142",
    "sensor.alice_runner_anaerobic_threshold": "168",
    "sensor.alice_runner_height": "178.0",
    "sensor.alice_runner_sleep_goal": "7.5",
}


def notice() -> dict[str, Any]:
    """Return a PHYSICAL_INFORMATION notice as Polar pushes it: no date, no id."""
    return {
        "event": "PHYSICAL_INFORMATION",
        "user_id": USER_ID,
        "timestamp": "2026-11-27T18:02:30Z",
        "url": f"{API}{PATH}",
    }


@pytest.fixture
def physical_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_physical_information events."""
    return async_capture_events(hass, EVENT_PHYSICAL_INFORMATION)


@pytest.fixture
def physical_info() -> dict[str, Any] | None:
    """Serve the physical information of fixtures/physical_info.json."""
    return load_fixture("physical_info")


async def push(hass: HomeAssistant, post_webhook: PostWebhook) -> None:
    """Push a PHYSICAL_INFORMATION notice and let its work finish."""
    response = await post_webhook(notice())
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def reconcile(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the next reconcile run."""
    freezer.tick(RECONCILE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_first_setup_shows_the_current_information_without_an_event(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    physical_events: list[Event],
) -> None:
    """The first listing is a baseline: the sensors show it, nothing fires."""
    assert physical_events == []
    assert hass.states.get("sensor.alice_runner_weight").state == "72.4"
    assert hass.states.get("sensor.alice_runner_weight").attributes["unit_of_measurement"] == "kg"
    assert hass.states.get("sensor.alice_runner_vo2max").state == "51"
    assert hass.states.get("sensor.alice_runner_resting_heart_rate").state == "52"
    assert hass.states.get(EVENT_ENTITY).state == "unknown"


async def test_changed_weight_is_published_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    physical_info: dict[str, Any],
    physical_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A pushed change fires once with the new values; the same content pushed again does not."""
    await push(hass, post_webhook)
    assert physical_events == []

    physical_info.update(weight=71.8, modified="2026-11-27T18:02:11Z")
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert [event.data for event in physical_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "modified": "2026-11-27T18:02:11+00:00",
            "weight": 71.8,
            "height": 178.0,
            "vo2_max": 51,
            "resting_heart_rate": 52,
            "maximum_heart_rate": 188,
            "aerobic_threshold": 142,
            "anaerobic_threshold": 168,
            "sleep_goal": 27000,
        }
    ]
    assert hass.states.get("sensor.alice_runner_weight").state == "71.8"
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "physical_information"
    assert hass.states.get(EVENT_ENTITY).attributes["weight"] == 71.8
    assert requests_to(polar_api, "GET", PATH) == 4

    physical_info.update(weight=72.4, modified="2026-11-28T07:00:00Z")
    await push(hass, post_webhook)
    assert [event.data["weight"] for event in physical_events] == [71.8, 72.4]


async def test_no_birthday_or_gender_anywhere(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    physical_info: dict[str, Any],
    physical_events: list[Event],
    hass_storage: dict[str, Any],
) -> None:
    """Polar's birthday and gender reach no event, state or storage."""
    physical_info.update(weight=70.0)
    await push(hass, post_webhook)
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    (event,) = physical_events
    shown = [
        event.data,
        hass.states.get(EVENT_ENTITY).attributes,
        hass_storage[f"polar_flow.account_{USER_ID}"],
    ]
    for text in map(str, shown):
        assert "1990-05-17" not in text
        assert "FEMALE" not in text
        assert "birthday" not in text
        assert "gender" not in text


async def test_catch_up_lists_a_change_that_was_not_pushed(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    physical_info: dict[str, Any],
    physical_events: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polar at times does not push: the reconcile finds the change and publishes it once."""
    await reconcile(hass, freezer)
    assert physical_events == []
    physical_info.update(resting_heart_rate=49, modified="2026-11-28T06:00:00Z")
    await reconcile(hass, freezer)
    await reconcile(hass, freezer)
    assert [event.data["resting_heart_rate"] for event in physical_events] == [49]
    assert hass.states.get("sensor.alice_runner_resting_heart_rate").state == "49"


async def test_unchanged_for_weeks_is_not_published_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    physical_events: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Physical information unchanged for longer than seen items are kept fires nothing."""
    for _ in range(50 * 4):
        await reconcile(hass, freezer)
    assert physical_events == []
    assert hass.states.get("sensor.alice_runner_weight").state == "72.4"


async def test_secondary_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Heart rate thresholds, height and sleep goal are there once a user enables them."""
    for entity_id in SECONDARY:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    await enable_entities(hass, setup_integration, *SECONDARY)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in SECONDARY} == SECONDARY


@pytest.mark.parametrize("physical_info", [None])
async def test_account_without_physical_information(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    physical_events: list[Event],
) -> None:
    """No content at setup leaves the sensors unknown; a notice fetches again, no error."""
    assert hass.states.get("sensor.alice_runner_weight").state == "unknown"
    assert requests_to(polar_api, "GET", PATH) == 1
    await push(hass, post_webhook)
    assert physical_events == []


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"weight": "heavy", "vo2_max": None, "sleep_goal": "a night"}, id="bad"),
        pytest.param({"modified": None, "created": None}, id="no-times"),
    ],
)
async def test_odd_values_are_unknown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    physical_info: dict[str, Any],
    physical_events: list[Event],
    changes: dict[str, Any],
) -> None:
    """Values of the wrong type show as unknown; the rest still publish."""
    physical_info.update(resting_heart_rate=50, **changes)
    await push(hass, post_webhook)
    (event,) = physical_events
    assert event.data["resting_heart_rate"] == 50
    for key, value in changes.items():
        if key in event.data:
            assert event.data[key] is None, (key, value)
