"""Daily activity: what is fetched for an ACTIVITY_SUMMARY notice, and how a day shows."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.polar_flow.const import RECONCILE_INTERVAL

from .conftest import (
    API,
    NIGHT,
    USER_ID,
    PostWebhook,
    enable_entities,
    load_fixture,
    make_entry,
    move_time,
    push_day,
    replace_route,
    requests_to,
)

SENSOR = "sensor.alice_runner"
EVENT_ENTITY = "event.alice_runner_daily_activity"
EARLIER = "2026-11-28"


def day_json(day: str = NIGHT, **changes: Any) -> dict[str, Any]:
    """Return a day of fixtures/activity.json, some values changed."""
    return load_fixture("activity", start_time=f"{day}T00:00:00", **changes)


@pytest.fixture
def activity_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_activity events."""
    return async_capture_events(hass, "polar_flow_activity")


@pytest.fixture
def day_api(polar_api: AiohttpClientMocker) -> AiohttpClientMocker:
    """Serve the day's activity by date."""
    polar_api.get(f"{API}/v3/users/activities/{NIGHT}", json=day_json())
    return polar_api


@pytest.mark.usefixtures("day_api")
async def test_pushed_day_publishes_once_and_shows(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activity_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A pushed day reaches the bus, the event entity and the sensors; a repeat adds nothing."""
    await push_day(hass, post_webhook)
    await push_day(hass, post_webhook)

    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert [event.data for event in activity_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": NIGHT,
            "steps": 8823,
            "calories": 2500,
            "active_calories": 1500,
            "active_time": 11460,
            "distance_from_steps": 4590.53,
            "inactivity_alerts": 1,
            "daily_activity": 89.1,
        }
    ]
    assert hass.states.get(f"{SENSOR}_steps").state == "8823"
    assert hass.states.get(f"{SENSOR}_calories").state == "2500"
    assert hass.states.get(f"{SENSOR}_active_calories").state == "1500"
    assert hass.states.get(f"{SENSOR}_active_time").state == "3.18333333333333"
    assert hass.states.get(f"{SENSOR}_daily_activity_goal").state == "89.1"
    event_state = hass.states.get(EVENT_ENTITY)
    assert event_state.attributes["event_type"] == "activity"
    assert event_state.attributes["steps"] == 8823


async def test_changed_day_publishes_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    activity_events: list[Event],
) -> None:
    """Each sync that changes the day publishes it once more; the sensors follow."""
    await push_day(hass, post_webhook)
    url = f"{API}/v3/users/activities/{NIGHT}"
    replace_route(day_api, "get", url, json=day_json(steps=10250, daily_activity=104.2))
    await push_day(hass, post_webhook)
    assert [event.data["steps"] for event in activity_events] == [8823, 10250]
    assert hass.states.get(f"{SENSOR}_steps").state == "10250"
    assert hass.states.get(f"{SENSOR}_daily_activity_goal").state == "104.2"


async def test_late_sync_of_an_earlier_day_leaves_the_sensors_on_the_newest(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    activity_events: list[Event],
) -> None:
    """Yesterday synced late publishes its event; today's totals stay on the sensors."""
    await push_day(hass, post_webhook)
    day_api.get(f"{API}/v3/users/activities/{EARLIER}", json=day_json(EARLIER, steps=15001))
    await push_day(hass, post_webhook, EARLIER)
    assert [event.data["date"] for event in activity_events] == [NIGHT, EARLIER]
    assert hass.states.get(f"{SENSOR}_steps").state == "8823"


async def test_catch_up_lists_a_day_never_pushed(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    activities: list[dict[str, Any]],
    activity_events: list[Event],
) -> None:
    """A day whose notice never came is published by the reconcile, once."""
    activities.append(day_json())
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    assert [event.data["date"] for event in activity_events] == [NIGHT]
    assert hass.states.get(f"{SENSOR}_steps").state == "8823"
    assert requests_to(polar_api, "GET", f"/v3/users/activities/{NIGHT}") == 0


async def test_first_setup_takes_a_baseline(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    activities: list[dict[str, Any]],
    activity_events: list[Event],
) -> None:
    """The 28 days listed at the first setup are shown, not published."""
    activities.extend([day_json(EARLIER, steps=4000), day_json()])
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert activity_events == []
    assert hass.states.get(f"{SENSOR}_steps").state == "8823"
    assert hass.states.get(EVENT_ENTITY).state == "unknown"


async def test_secondary_activity_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """Distance and inactivity alerts are there once a user enables them."""
    secondary = {f"{SENSOR}_distance_from_steps": "4.59053", f"{SENSOR}_inactivity_alerts": "1"}
    assert all(hass.states.get(entity_id) is None for entity_id in secondary)
    await enable_entities(hass, setup_integration, *secondary)
    await push_day(hass, post_webhook)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in secondary} == secondary


@pytest.mark.usefixtures("setup_integration")
async def test_day_with_missing_values_still_arrives(
    hass: HomeAssistant,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    activity_events: list[Event],
) -> None:
    """Values of the wrong type or missing become None; the day still arrives."""
    url = f"{API}/v3/users/activities/{NIGHT}"
    replace_route(
        day_api, "get", url, json={"steps": "many", "active_duration": None, "calories": 2100}
    )
    await push_day(hass, post_webhook)
    (event,) = activity_events
    assert (event.data["date"], event.data["steps"], event.data["calories"]) == (NIGHT, None, 2100)
    assert event.data["active_time"] is None
    assert hass.states.get(f"{SENSOR}_steps").state == "unknown"
