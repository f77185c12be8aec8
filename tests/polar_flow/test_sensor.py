"""The sensors: the newest exercise, night and Nightly Recharge of an account."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import PostWebhook, count_writes, load_fixture, load_list, notice_json


@pytest.fixture
def nights() -> list[dict[str, Any]]:
    """List one night at AccessLink."""
    return [load_fixture("sleep")]


@pytest.fixture
def recharges() -> list[dict[str, Any]]:
    """List that night's Nightly Recharge."""
    return [load_fixture("nightly_recharge")]


@pytest.fixture
def alertness_periods() -> list[dict[str, Any]]:
    """List SleepWise alertness periods: yesterday's and today's."""
    return load_list("alertness")


@pytest.fixture
def bedtime_periods() -> list[dict[str, Any]]:
    """List SleepWise circadian bedtime periods: last night's and tonight's."""
    return load_list("circadian_bedtime")


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "setup_credentials", "polar_api")
async def test_sensor_platform(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor, enabled, shows the exercise, the night and the recharge AccessLink lists."""
    config_entry.add_to_hass(hass)
    with patch("custom_components.polar_flow.PLATFORMS", [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "setup_integration")
async def test_a_push_writes_only_its_kinds_sensors(
    hass: HomeAssistant, post_webhook: PostWebhook
) -> None:
    """A pushed exercise writes the exercise's sensors; a night's sensors are left as they were."""
    writes = count_writes(hass)
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.alice_runner_last_exercise_sport").state == "running"
    assert writes["sensor.alice_runner_last_exercise_sport"] == 1
    sensors = [entity for entity in writes if entity.startswith("sensor.")]
    assert sensors
    assert [entity for entity in sensors if "exercise" not in entity] == []
