"""How the sensors show an exercise."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.polar_flow.const import DOMAIN

from .conftest import API, USER_ID, PostWebhook, exercise_json, notice_json, replace_route

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
