"""The logbook shows one line per workout, with the integration's icon, in the user's language."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN

from .conftest import PostWebhook, notice_json

EVENT_ENTITY = "event.alice_runner_exercise"


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Any, hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant and the logbook before anything serves HTTP."""
    assert await async_setup_component(hass, "logbook", {})


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Exercise finished"), ("fi", "Harjoitus päättyi")]
)
async def test_one_logbook_line_per_workout(
    hass: HomeAssistant,
    recorder_mock: Any,
    hass_ws_client: Any,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    language: str,
    text: str,
) -> None:
    """Each workout is one line: the event entity's, which the frontend words and decorates."""
    hass.config.language = language
    start = dt_util.utcnow()
    for exercise_id in ("EX1", "EX2"):
        await post_webhook(notice_json(exercise_id))
        await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_add_executor_job(recorder_mock.block_till_done)

    client = await hass_ws_client()
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": start.isoformat()})
    response = await client.receive_json()
    ours = [
        entry
        for entry in response["result"]
        if entry.get("domain") == DOMAIN or entry.get("entity_id", "").startswith("event.")
    ]
    assert [(entry.get("entity_id"), entry.get("attributes")) for entry in ours] == [
        (EVENT_ENTITY, {"event_type": "exercise"}),
        (EVENT_ENTITY, {"event_type": "exercise"}),
    ]
    # The frontend shows the translated event type and the entity's icon.
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    key = f"component.{DOMAIN}.entity.event.exercise.state_attributes.event_type.state.exercise"
    assert translations[key] == text
    icons = await async_get_icons(hass, "entity", [DOMAIN])
    assert icons[DOMAIN]["event"]["exercise"]["default"].startswith("mdi:")
