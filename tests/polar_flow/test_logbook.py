"""The logbook describes each exercise in words."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Any, hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant and the logbook before anything serves HTTP."""
    assert await async_setup_component(hass, "logbook", {})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sport": "RUNNING", "duration": 2530.0}, "finished a 42-minute run"),
        (
            {"sport": "CROSS_COUNTRY_SKIING", "duration": 3600},
            "finished a 60-minute ski",
        ),
        ({"sport": None, "duration": None}, "finished a workout"),
    ],
)
async def test_exercise_in_logbook(
    hass: HomeAssistant,
    recorder_mock: Any,
    hass_ws_client: Any,
    setup_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    data: dict[str, Any],
    message: str,
) -> None:
    """The logbook names the account and says what it finished."""
    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    start = dt_util.utcnow()
    hass.bus.async_fire(EVENT_EXERCISE, {"device_id": device.id, "exercise_id": "EX1", **data})
    await hass.async_block_till_done()
    await hass.async_add_executor_job(recorder_mock.block_till_done)

    client = await hass_ws_client()
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": start.isoformat()})
    response = await client.receive_json()
    entries = [entry for entry in response["result"] if entry.get("domain") == DOMAIN]
    assert entries == [{**entries[0], "name": "Alice Runner", "message": message}]
