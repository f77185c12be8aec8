"""Automations built as the UI builds them see the exercise that fired them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import parse_yaml

from custom_components.polar_flow.const import EVENT_EXERCISE

from .conftest import (
    API,
    PostWebhook,
    activity_notice_json,
    at_local,
    at_utc,
    bedtime_notice_json,
    bedtime_period,
    exercise_json,
    load_fixture,
    notice_json,
    replace_route,
    sleep_notice_json,
)

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


RECHARGE_EVENT = "event.alice_runner_nightly_recharge"
RECHARGE_STATUS = "sensor.alice_runner_nightly_recharge_status"
# The examples users copy: the README's, and the rest in docs/automations.md.
EXAMPLES = (
    Path(__file__).parents[2] / "README.md",
    Path(__file__).parents[2] / "docs" / "automations.md",
)
SOFTER_LIGHTS = "automation.after_a_poor_night_start_the_day_with_softer_lights"
SOFTER_LIGHTS_TITLE = "# After a poor night, start the day with softer lights"


def readme_automation(title: str) -> dict[str, Any]:
    """Return a README example as the automation editor saves it after "Edit in YAML".

    The editor turns the pasted YAML into JSON and POSTs it with its alias, description and mode.
    """
    (text,) = [text for path in EXAMPLES if f"```yaml\n{title}\n" in (text := path.read_text())]
    block = text.split(f"```yaml\n{title}\n", 1)[1].split("```", 1)[0]
    example: dict[str, Any] = parse_yaml(block)
    return {"alias": title.lstrip("# "), "description": "", **example, "mode": "single"}


@pytest.fixture
def ui_config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a config dir whose automations.yaml the automation editor writes."""
    (tmp_path / "configuration.yaml").write_text("automation: !include automations.yaml\n")
    (tmp_path / "automations.yaml").write_text("[]\n")
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
async def automation_editor(
    hass: HomeAssistant, setup_credentials: None, ui_config_dir: Path
) -> Path:
    """Serve the automation editor's config API, before the HTTP server starts."""
    assert await async_setup_component(hass, "config", {})
    assert await async_setup_component(hass, "automation", {"automation": []})
    return ui_config_dir


async def test_readme_recharge_automation_saved_by_the_ui(
    hass: HomeAssistant,
    automation_editor: Path,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    http_client: Any,
    hass_access_token: str,
    post_webhook: PostWebhook,
) -> None:
    """Softer lights run once after a poor night, never after a good one nor on a reload."""
    lights = async_mock_service(hass, "light", "turn_on")
    response = await http_client.post(
        "/api/config/automation/config/softer_lights",
        json=readme_automation(SOFTER_LIGHTS_TITLE),
        headers={"Authorization": f"Bearer {hass_access_token}"},
    )
    assert response.status == 200, await response.text()
    await hass.async_block_till_done()
    assert "softer lights" in (automation_editor / "automations.yaml").read_text()
    assert hass.states.get(SOFTER_LIGHTS).state == "on"

    # The first night ever (the event entity was unknown), a good one, then a very poor one.
    for day, status, runs in (("2026-11-28", 2, 1), ("2026-11-29", 5, 0), ("2026-11-30", 1, 1)):
        polar_api.get(f"{API}/v3/users/sleep/{day}", json=load_fixture("sleep", date=day))
        polar_api.get(
            f"{API}/v3/users/nightly-recharge/{day}",
            json=load_fixture("nightly_recharge", date=day, nightly_recharge_status=status),
        )
        lights.clear()
        assert (await post_webhook(sleep_notice_json(day))).status == 200
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(RECHARGE_EVENT).attributes["date"] == day
        assert [call.data for call in lights] == runs * [
            {"area_id": ["kitchen"], "brightness_pct": 35, "color_temp_kelvin": 2700}
        ], day

    # The entry reloads while the sensor still shows the very poor night: the lights stay.
    lights.clear()
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(RECHARGE_STATUS).state == "very_poor"
    assert lights == []


BEDTIME_TITLE = "# Dim the lights 30 minutes before the recommended bedtime"
STEP_GOAL_TITLE = "# Daily activity goal reached, once a day"
SLEEP_WINDOW_START = "sensor.alice_runner_recommended_sleep_start"
DAILY_ACTIVITY = "sensor.alice_runner_daily_activity_goal"


async def save_readme_automation(
    hass: HomeAssistant, http_client: Any, token: str, automation_id: str, title: str
) -> None:
    """Save a README example through the automation editor's config API."""
    response = await http_client.post(
        f"/api/config/automation/config/{automation_id}",
        json=readme_automation(title),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200, await response.text()
    await hass.async_block_till_done()


async def test_readme_bedtime_automation_saved_by_the_ui(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    automation_editor: Path,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    http_client: Any,
    hass_access_token: str,
    post_webhook: PostWebhook,
) -> None:
    """The lights dim 30 minutes before each night's recommended sleep start, and only then."""
    lights = async_mock_service(hass, "light", "turn_on")
    notified = async_mock_service(hass, "notify", "mobile_app_phone")
    await save_readme_automation(hass, http_client, hass_access_token, "bedtime", BEDTIME_TITLE)
    await at_utc(hass, freezer, "2026-11-29T12:00:00+00:00")

    # Polar pushes last night's period and tonight's predicted one.
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/users/sleepwise/circadian-bedtime/date",
        json=[
            bedtime_period("2026-11-28T21:00:00", "2026-11-29T05:00:00"),
            bedtime_period("2026-11-29T21:10:00", "2026-11-30T05:10:00"),
        ],
    )
    assert (await post_webhook(bedtime_notice_json("2026-11-29"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SLEEP_WINDOW_START).state == "2026-11-29T21:10:00+00:00"

    await at_utc(hass, freezer, "2026-11-29T20:39:59+00:00")
    assert (lights, notified) == ([], [])
    await at_utc(hass, freezer, "2026-11-29T20:40:00+00:00")
    assert [call.data for call in lights] == [
        {"area_id": ["living_room"], "brightness_pct": 30, "color_temp_kelvin": 2200}
    ]
    # Europe/Helsinki is not the test's time zone: the message shows Home Assistant's local time.
    local = dt_util.as_local(datetime(2026, 11, 29, 21, 10, tzinfo=UTC)).strftime("%H:%M")
    assert [call.data["message"] for call in notified] == [
        f"SleepWise recommends going to sleep at {local}."
    ]

    # The next night's window is later: the reminder moves with it, once.
    lights.clear()
    await at_utc(hass, freezer, "2026-11-30T12:00:00+00:00")
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/users/sleepwise/circadian-bedtime/date",
        json=[bedtime_period("2026-11-30T21:45:00", "2026-12-01T05:30:00")],
    )
    assert (await post_webhook(bedtime_notice_json("2026-11-30"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    for moment, runs in (
        ("2026-11-30T20:40:00+00:00", 0),  # yesterday's reminder time
        ("2026-11-30T21:14:59+00:00", 0),
        ("2026-11-30T21:15:00+00:00", 1),
        ("2026-11-30T21:45:00+00:00", 1),
    ):
        await at_utc(hass, freezer, moment)
        assert len(lights) == runs, moment


async def test_readme_step_goal_automation_saved_by_the_ui(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    automation_editor: Path,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    http_client: Any,
    hass_access_token: str,
    post_webhook: PostWebhook,
) -> None:
    """The goal message comes once a day, at the sync that reaches the goal, not again that day."""
    notified = async_mock_service(hass, "notify", "mobile_app_phone")
    await save_readme_automation(hass, http_client, hass_access_token, "goal", STEP_GOAL_TITLE)

    # (local time of the sync, the day synced, its goal %, its steps, messages so far)
    syncs = [
        ("2026-11-29T10:00:00", "2026-11-29", 45.0, 4100, 0),
        ("2026-11-29T15:00:00", "2026-11-29", 100.0, 9200, 1),
        ("2026-11-29T21:00:00", "2026-11-29", 131.5, 12050, 1),  # the next sync of that day
        ("2026-11-30T08:00:00", "2026-11-30", 12.0, 900, 1),
        ("2026-11-30T09:00:00", "2026-11-29", 140.0, 12800, 1),  # a late sync of yesterday
        ("2026-11-30T13:00:00", "2026-11-30", 99.9, 8000, 1),
        ("2026-11-30T19:00:00", "2026-11-30", 104.2, 9900, 2),
    ]
    for moment, day, goal, steps, messages in syncs:
        await at_local(hass, freezer, moment)
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/users/activities/{day}",
            json=load_fixture(
                "activity", start_time=f"{day}T00:00:00", daily_activity=goal, steps=steps
            ),
        )
        assert (await post_webhook(activity_notice_json(day))).status == 200
        await hass.async_block_till_done(wait_background_tasks=True)
        assert len(notified) == messages, moment
    assert [call.data["message"] for call in notified] == [
        "Daily activity goal reached: 9200 steps.",
        "Daily activity goal reached: 9900 steps.",
    ]
    assert hass.states.get(DAILY_ACTIVITY).state == "104.2"

    # A reload and a restart of the automations the same evening send nothing more.
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.services.async_call("automation", "reload", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(notified) == 2


EVENT_ENTITY_TITLE = "# With the event entity (recommended)"
BUS_EVENT_TITLE = "# With the bus event"


async def test_docs_exercise_automations_saved_by_the_ui(
    hass: HomeAssistant,
    automation_editor: Path,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    http_client: Any,
    hass_access_token: str,
    post_webhook: PostWebhook,
) -> None:
    """The sauna starts and the message comes after a run; a ride runs neither."""
    sauna = async_mock_service(hass, "switch", "turn_on")
    messages = async_mock_service(hass, "notify", "mobile_app_phone")
    await save_readme_automation(hass, http_client, hass_access_token, "sauna", EVENT_ENTITY_TITLE)
    await save_readme_automation(hass, http_client, hass_access_token, "nice", BUS_EVENT_TITLE)

    for exercise_id, sport, runs in (("EX7", "CYCLING", 0), ("EX8", "RUNNING", 1)):
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/exercises/{exercise_id}",
            json=exercise_json(exercise_id, sport=sport, distance=8420.0, duration="PT47M18S"),
        )
        assert (await post_webhook(notice_json(exercise_id))).status == 200
        await hass.async_block_till_done(wait_background_tasks=True)
        assert [call.data for call in sauna] == runs * [{"entity_id": ["switch.sauna"]}], sport
        assert [call.data for call in messages] == runs * [
            {"message": "Nice run: 8.4 km in 47 min."}
        ], sport
