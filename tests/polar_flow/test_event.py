"""The event entities: one per kind, their event types, attributes and translated names."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.const import DOMAIN

from .conftest import PostWebhook, count_writes, load_list, notice_json, push

EVENT_ENTITY = "event.alice_runner_exercise"
EVENT_ENTITIES = {
    "exercise": "event.alice_runner_exercise",
    "sleep": "event.alice_runner_sleep",
    "nightly_recharge": "event.alice_runner_nightly_recharge",
}


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_event_platform(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    alertness_periods: list[dict[str, Any]],
    bedtime_periods: list[dict[str, Any]],
) -> None:
    """An account has one event entity per kind of data, on its device."""
    # SleepWise entities come with the first period: an account with SleepWise data.
    alertness_periods.extend(load_list("alertness"))
    bedtime_periods.extend(load_list("circadian_bedtime"))
    config_entry.add_to_hass(hass)
    with patch("custom_components.polar_flow.PLATFORMS", [Platform.EVENT]):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@pytest.mark.parametrize(
    ("kind", "event_types"),
    [
        ("exercise", ["exercise"]),
        ("sleep", ["sleep"]),
        (
            "nightly_recharge",
            ["very_poor", "poor", "compromised", "ok", "good", "very_good", "measured"],
        ),
    ],
)
@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.usefixtures("setup_integration")
async def test_event_types_are_translated(
    hass: HomeAssistant, kind: str, event_types: list[str], language: str
) -> None:
    """Each kind's event entity offers its event types, each named in the user's language."""
    state = hass.states.get(EVENT_ENTITIES[kind])
    assert state.attributes["event_types"] == event_types
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity.event.{kind}.state_attributes.event_type.state"
    assert [name for name in event_types if not translations.get(f"{prefix}.{name}")] == []


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


@pytest.mark.parametrize("kind", ["sleep", "nightly_recharge"])
@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.usefixtures("setup_integration", "night_api")
async def test_night_attributes_have_translated_names(
    hass: HomeAssistant, post_webhook: PostWebhook, kind: str, language: str
) -> None:
    """A night's and its recharge's attributes are named in the user's language."""
    await push(hass, post_webhook)
    state = hass.states.get(EVENT_ENTITIES[kind])
    own = set(state.attributes) - {"event_type", "event_types", "friendly_name"}
    assert "date" in own
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity.event.{kind}.state_attributes"
    assert {key for key in own if not translations.get(f"{prefix}.{key}.name")} == set()


@pytest.mark.usefixtures("setup_integration", "night_api")
async def test_each_entity_fires_for_its_kind_only(
    hass: HomeAssistant, post_webhook: PostWebhook
) -> None:
    """A night fires the sleep and recharge entities; the exercise entity keeps its state."""
    await push(hass, post_webhook)
    assert hass.states.get(EVENT_ENTITIES["exercise"]).state == "unknown"
    assert hass.states.get(EVENT_ENTITIES["sleep"]).attributes["event_type"] == "sleep"
    assert hass.states.get(EVENT_ENTITIES["nightly_recharge"]).attributes["event_type"] == "good"


@pytest.mark.usefixtures("setup_integration")
async def test_a_push_writes_only_its_kinds_event_entity(
    hass: HomeAssistant, post_webhook: PostWebhook
) -> None:
    """A pushed exercise writes the exercise entity once; the other kinds' are left as they were."""
    writes = count_writes(hass)
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "exercise"
    assert {entity: n for entity, n in writes.items() if entity.startswith("event.")} == {
        EVENT_ENTITY: 1
    }
