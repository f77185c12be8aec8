"""Sleep: what is fetched for a SLEEP notice, and how a night shows in events and sensors."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.polar_flow.recharge import NIGHTLY_RECHARGE
from custom_components.polar_flow.sleep import SLEEP

from .conftest import (
    API,
    NIGHT,
    USER_ID,
    PostWebhook,
    enable_entities,
    load_fixture,
    push,
    replace_route,
)

SLEEP_SENSOR = "sensor.alice_runner_sleep"
SLEEP_EVENT = "event.alice_runner_sleep"
RECHARGE_EVENT = "event.alice_runner_nightly_recharge"
NIGHT_SENSORS = {sensor.key for sensor in (*SLEEP.sensors, *NIGHTLY_RECHARGE.sensors)}


@pytest.mark.usefixtures("night_api")
async def test_sleep_notice_publishes_sleep_then_recharge(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
    recharge_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A pushed night reaches the bus, the event entities and the sensors; its recharge follows."""
    await push(hass, post_webhook)

    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert [event.data for event in sleep_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": NIGHT,
            "start": "2026-11-28T23:12:30+02:00",
            "end": "2026-11-29T07:04:00+02:00",
            "sleep_score": 82,
            "sleep_time": 26520,
            "light_sleep": 14460,
            "deep_sleep": 5280,
            "rem_sleep": 6780,
            "interruptions": 1770,
            "continuity": 3.4,
            "sleep_charge": "above_usual",
        }
    ]
    assert [event.data for event in recharge_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": NIGHT,
            "status": "good",
            "ans_charge": 3.2,
            "heart_rate_average": 54,
            "heart_rate_variability": 48,
            "breathing_rate": 13.6,
        }
    ]
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"
    assert hass.states.get(f"{SLEEP_SENSOR}_time").state == "7.36666666666667"
    assert hass.states.get(f"{SLEEP_SENSOR}_start").state == "2026-11-28T21:12:30+00:00"
    assert hass.states.get(f"{SLEEP_SENSOR}_end").state == "2026-11-29T05:04:00+00:00"
    assert hass.states.get("sensor.alice_runner_nightly_recharge_status").state == "good"
    assert hass.states.get("sensor.alice_runner_ans_charge").state == "3.2"
    assert hass.states.get("sensor.alice_runner_heart_rate_variability").state == "48"
    assert hass.states.get(SLEEP_EVENT).attributes["event_type"] == "sleep"
    assert hass.states.get(SLEEP_EVENT).attributes["sleep_score"] == 82
    assert hass.states.get(RECHARGE_EVENT).attributes["event_type"] == "good"


async def test_secondary_sleep_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
) -> None:
    """The stages and the finer recharge values are there once a user enables them."""
    secondary = {
        "sensor.alice_runner_light_sleep": "4.01666666666667",
        "sensor.alice_runner_deep_sleep": "1.46666666666667",
        "sensor.alice_runner_rem_sleep": "1.88333333333333",
        f"{SLEEP_SENSOR}_interruptions": "29.5",
        f"{SLEEP_SENSOR}_continuity": "3.4",
        f"{SLEEP_SENSOR}_charge": "above_usual",
        "sensor.alice_runner_nightly_heart_rate": "54",
        "sensor.alice_runner_breathing_rate": "13.6",
    }
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
        if entry.disabled_by is not None and entry.translation_key in NIGHT_SENSORS
    }
    assert disabled == set(secondary)
    assert all(hass.states.get(entity_id) is None for entity_id in secondary)
    await enable_entities(hass, setup_integration, *secondary)
    await push(hass, post_webhook)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in secondary} == secondary


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"sleep_charge": 0}, {"sleep_charge": None}, id="charge-below-scale"),
        pytest.param({"sleep_charge": 6}, {"sleep_charge": None}, id="charge-above-scale"),
        pytest.param({"sleep_charge": 1}, {"sleep_charge": "much_below_usual"}, id="charge-1"),
        pytest.param({"sleep_charge": 5}, {"sleep_charge": "much_above_usual"}, id="charge-5"),
        pytest.param(
            {"rem_sleep": None, "unrecognized_sleep_stage": 600},
            {"sleep_time": 14460 + 5280 + 600, "rem_sleep": None},
            id="a-stage-missing",
        ),
        pytest.param(
            {
                "light_sleep": None,
                "deep_sleep": None,
                "rem_sleep": None,
                "unrecognized_sleep_stage": None,
            },
            {"sleep_time": None, "light_sleep": None, "deep_sleep": None, "rem_sleep": None},
            id="no-stages",
        ),
        pytest.param(
            {"sleep_start_time": None, "sleep_end_time": "not a time", "sleep_score": None},
            {"start": None, "end": None, "sleep_score": None},
            id="no-times-no-score",
        ),
    ],
)
@pytest.mark.usefixtures("setup_integration")
async def test_night_edge_values(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
    changes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """Values outside Polar's scales or missing become None; the night still arrives."""
    replace_route(
        night_api, "get", f"{API}/v3/users/sleep/{NIGHT}", json=load_fixture("sleep", **changes)
    )
    await push(hass, post_webhook)
    (event,) = sleep_events
    assert {key: event.data[key] for key in expected} == expected
    assert event.data["date"] == NIGHT
    assert hass.states.get(SLEEP_EVENT).attributes["event_type"] == "sleep"


async def test_sleep_charge_out_of_scale_shows_unknown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """The sleep charge sensor, an enum, shows unknown for a value beyond Polar's scale."""
    await enable_entities(hass, setup_integration, f"{SLEEP_SENSOR}_charge")
    replace_route(
        night_api,
        "get",
        f"{API}/v3/users/sleep/{NIGHT}",
        json=load_fixture("sleep", sleep_charge=9),
    )
    await push(hass, post_webhook)
    assert hass.states.get(f"{SLEEP_SENSOR}_charge").state == "unknown"
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"
