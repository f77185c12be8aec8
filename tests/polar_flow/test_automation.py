"""Automations built as the UI builds them see the exercise that fired them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.polar_flow.const import EVENT_EXERCISE

from .conftest import API, PostWebhook, exercise_json, notice_json, replace_route

EVENT_ENTITY = "event.alice_runner_exercise"
SPORT_SENSOR = "sensor.alice_runner_last_exercise_sport"
RAN = "test_automation_ran"

# Each workout starts after the previous one, as a person trains.
WORKOUTS = [
    ("EX1", "RUNNING", "2026-11-27T08:00:00"),
    ("EX2", "CYCLING", "2026-11-27T10:00:00"),
    ("EX3", "RUNNING", "2026-11-27T12:00:00"),
    ("EX4", "WALKING", "2026-11-27T14:00:00"),
    ("EX5", "RUNNING", "2026-11-27T16:00:00"),
]

RUNNING_CONDITION = {"condition": "state", "entity_id": SPORT_SENSOR, "state": "running"}

# What the automation editor saves for each way of starting on an exercise.
TRIGGERS: dict[str, dict[str, Any]] = {
    "event_received": {
        "trigger": "event.received",
        "target": {"entity_id": EVENT_ENTITY},
        "options": {"event_type": ["exercise"]},
    },
    "entity_state": {"trigger": "state", "entity_id": EVENT_ENTITY},
    "bus_event": {"trigger": "event", "event_type": EVENT_EXERCISE},
}


@pytest.fixture
def ran(hass: HomeAssistant) -> list[Event]:
    """Collect the runs of the automations."""
    return async_capture_events(hass, RAN)


@pytest.fixture
async def automations(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    """Set up one automation per trigger, each 'when the last exercise sport is running'."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": name,
                    "alias": f"Running ({name})",
                    "triggers": [trigger],
                    "conditions": [RUNNING_CONDITION],
                    "actions": [
                        {
                            "event": RAN,
                            "event_data": {
                                "automation": name,
                                "start": "{{ states('sensor.alice_runner_last_exercise_start') }}",
                            },
                        }
                    ],
                }
                for name, trigger in TRIGGERS.items()
            ]
        },
    )
    await hass.async_block_till_done()


@pytest.mark.usefixtures("automations")
async def test_automation_sees_the_exercise_that_fired_it(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    ran: list[Event],
) -> None:
    """Each automation runs for the running workouts and never for the others."""
    for exercise_id, sport, start in WORKOUTS:
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/exercises/{exercise_id}",
            json=exercise_json(exercise_id, sport=sport, start=start),
        )
        ran.clear()
        await post_webhook(notice_json(exercise_id))
        await hass.async_block_till_done(wait_background_tasks=True)
        # The exercise starts at local time +02:00 (start_time_utc_offset 120).
        shown = datetime.fromisoformat(f"{start}+02:00").astimezone(UTC).isoformat()
        expected = sorted((name, shown) for name in TRIGGERS) if sport == "RUNNING" else []
        runs = sorted((event.data["automation"], event.data["start"]) for event in ran)
        assert runs == expected, f"{exercise_id} ({sport})"


@pytest.mark.usefixtures("automations")
async def test_late_older_exercise_keeps_the_newest_on_the_sensors(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    ran: list[Event],
) -> None:
    """An older exercise arriving late fires its events, but the sensors keep the newest."""
    for exercise_id, sport, start in (
        ("EX1", "CYCLING", "2026-11-27T12:00:00"),
        ("EX2", "RUNNING", "2026-11-27T08:00:00"),
    ):
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/exercises/{exercise_id}",
            json=exercise_json(exercise_id, sport=sport, start=start),
        )
        await post_webhook(notice_json(exercise_id))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SPORT_SENSOR).state == "cycling"
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX2"
    assert ran == []
