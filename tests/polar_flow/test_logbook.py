"""The logbook shows one line per workout, with the integration's icon, in the user's language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN

from .conftest import API, USER_ID, PostWebhook, notice_json

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


NIGHT = "2026-11-29"
FIXTURES = Path(__file__).parent / "fixtures"
SLEEP_NOTICE = {
    "event": "SLEEP",
    "user_id": USER_ID,
    "date": NIGHT,
    "timestamp": f"{NIGHT}T07:10:00.000Z",
    "url": f"{API}/v3/users/sleep/{NIGHT}",
}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            {
                "sleep": ("Sleep", "Sleep recorded"),
                "nightly_recharge": ("Nightly Recharge", "Good"),
            },
        ),
        (
            "fi",
            {"sleep": ("Uni", "Uni tallennettu"), "nightly_recharge": ("Nightly Recharge", "Hyvä")},
        ),
    ],
)
async def test_one_logbook_line_per_night_and_recharge(
    hass: HomeAssistant,
    recorder_mock: Any,
    hass_ws_client: Any,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    language: str,
    words: dict[str, tuple[str, str]],
) -> None:
    """A night is one line of the sleep event and one of the Nightly Recharge event, worded."""
    for path, name in (("sleep", "sleep"), ("nightly-recharge", "nightly_recharge")):
        body = json.loads((FIXTURES / f"{name}.json").read_text())
        polar_api.get(f"{API}/v3/users/{path}/{NIGHT}", json=body)
    hass.config.language = language
    start = dt_util.utcnow()
    assert (await post_webhook(SLEEP_NOTICE)).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_add_executor_job(recorder_mock.block_till_done)

    client = await hass_ws_client()
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": start.isoformat()})
    response = await client.receive_json()
    events = [
        (entry["entity_id"], entry.get("attributes"))
        for entry in response["result"]
        if entry.get("entity_id", "").startswith("event.")
    ]
    assert events == [
        ("event.alice_runner_sleep", {"event_type": "sleep"}),
        ("event.alice_runner_nightly_recharge", {"event_type": "good"}),
    ]
    # The frontend names each line after its entity and words the event type.
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    icons = await async_get_icons(hass, "entity", [DOMAIN])
    for (entity_id, attributes), (key, (name, text)) in zip(events, words.items(), strict=True):
        assert entity_id.endswith(key)
        prefix = f"component.{DOMAIN}.entity.event.{key}"
        assert translations[f"{prefix}.name"] == name
        state = attributes["event_type"]
        assert translations[f"{prefix}.state_attributes.event_type.state.{state}"] == text
        assert icons[DOMAIN]["event"][key]["default"].startswith("mdi:")


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_a_night_shows_no_raw_key(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
    language: str,
) -> None:
    """Every name, event type, option and worded attribute of a night has a translation."""
    for path, name in (("sleep", "sleep"), ("nightly-recharge", "nightly_recharge")):
        body = json.loads((FIXTURES / f"{name}.json").read_text())
        polar_api.get(f"{API}/v3/users/{path}/{NIGHT}", json=body)
    assert (await post_webhook(SLEEP_NOTICE)).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])

    missing = []
    for entry in er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id):
        prefix = f"component.{DOMAIN}.entity.{entry.domain}.{entry.translation_key}"
        state = hass.states.get(entry.entity_id)
        wanted = [f"{prefix}.name"]
        if state is not None and entry.domain == "event":
            attributes = dict(state.attributes)
            wanted += [
                f"{prefix}.state_attributes.event_type.state.{key}"
                for key in attributes.pop("event_types")
            ]
            for attribute, value in attributes.items():
                if attribute in ("event_type", "friendly_name"):
                    continue
                wanted.append(f"{prefix}.state_attributes.{attribute}.name")
                if isinstance(value, str) and value.isidentifier():  # a key such as above_usual
                    wanted.append(f"{prefix}.state_attributes.{attribute}.state.{value}")
        if state is not None and "options" in state.attributes:
            wanted += [f"{prefix}.state.{key}" for key in state.attributes["options"]]
        missing += [key for key in wanted if not translations.get(key)]
    assert missing == []
