"""The automation blueprints in blueprints/automation/polar_flow, used as the UI uses them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
import shutil
from typing import Any
from urllib.parse import parse_qs, urlparse

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    API,
    USER_ID,
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

REPO = Path(__file__).parents[2]
BLUEPRINTS = REPO / "blueprints" / "automation" / "polar_flow"
NAMES = ("after_workout", "bedtime", "morning_readiness", "step_goal")
SOURCE = "https://github.com/polar-flow-ha/polar-flow-home-assistant/blob/main/"
IMPORT = "https://my.home-assistant.io/redirect/blueprint_import/"
RAN = "test_blueprint_ran"
SLEEP_WINDOW_START = "sensor.alice_runner_recommended_sleep_start"


@pytest.fixture
def ran(hass: HomeAssistant) -> list[Event]:
    """Collect the runs of the blueprints' actions."""
    return async_capture_events(hass, RAN)


@pytest.fixture
def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a config dir with the blueprints where the UI's import puts them."""
    hass.config.config_dir = str(tmp_path)
    folder = Path(hass.config.path("blueprints", "automation", "polar_flow"))
    shutil.copytree(BLUEPRINTS, folder)
    return folder


@pytest.fixture
def account(hass: HomeAssistant, setup_integration: MockConfigEntry) -> str:
    """Return the device of Alice's account, as the blueprints' account input holds it."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(USER_ID)), setup_integration.entry_id
    )
    assert device is not None
    return device.id


async def use_blueprint(
    hass: HomeAssistant, name: str, inputs: dict[str, Any], event_data: dict[str, str]
) -> None:
    """Set up an automation from a blueprint whose action fires RAN with event_data."""
    action = {"event": RAN, "event_data": event_data}
    automation = {
        "id": name,
        "alias": name,
        "use_blueprint": {
            "path": f"polar_flow/{name}.yaml",
            "input": {**inputs, "actions": [action]},
        },
    }
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    await hass.async_block_till_done()
    assert hass.states.get(f"automation.{name}").state == "on"


async def push(hass: HomeAssistant, post_webhook: PostWebhook, notice: dict[str, Any]) -> None:
    """Push a notice and let its work finish."""
    assert (await post_webhook(notice)).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("blueprint_folder")
async def test_blueprints_load_with_their_import_links(
    hass: HomeAssistant, hass_ws_client: Any
) -> None:
    """Each blueprint is valid, names its own file on GitHub, and the README imports it."""
    assert await async_setup_component(hass, "automation", {"automation": []})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "blueprint/list", "domain": "automation"})
    listed = (await client.receive_json())["result"]

    readme = (REPO / "README.md").read_text()
    links = {
        parse_qs(urlparse(word.strip("()<>")).query)["blueprint_url"][0]
        for word in readme.replace("](", " ").split()
        if word.strip("()<>").startswith(IMPORT)
    }
    paths = {f"polar_flow/{name}.yaml" for name in NAMES}
    assert {path for path in listed if path.startswith("polar_flow/")} == paths
    for path in paths:
        assert "error" not in listed[path], listed[path]
        metadata = listed[path]["metadata"]
        assert metadata["source_url"] == f"{SOURCE}blueprints/automation/{path}"
        assert metadata["source_url"] in links, f"no import link for {path} in the README"
    assert len(links) == len(paths), links


WORKOUT_DATA = {
    "sport": "{{ sport }}",
    "duration_min": "{{ duration_min }}",
    "distance_km": "{{ distance_km }}",
    "exercise_id": "{{ exercise_id }}",
    "message": "Nice run: {{ distance_km }} km in {{ duration_min }} min.",
}


async def workout(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    exercise_id: str,
    **fields: Any,
) -> None:
    """Finish a workout at Polar and push its notice."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/{exercise_id}",
        json=exercise_json(exercise_id, **fields),
    )
    await push(hass, post_webhook, notice_json(exercise_id))


@pytest.mark.usefixtures("blueprint_folder")
async def test_after_workout_runs_for_chosen_sports_long_enough(
    hass: HomeAssistant,
    account: str,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    ran: list[Event],
) -> None:
    """Running or walking of 30 min or more runs the actions; other sports or shorter do not."""
    inputs = {"account": account, "sports": ["running", "walking"], "minimum_duration": 30}
    await use_blueprint(hass, "after_workout", inputs, WORKOUT_DATA)

    # (id, Polar's sport, duration, start, whether the actions run)
    workouts = [
        ("EX1", "RUNNING", "PT42M10S", "2026-11-27T08:00:00", True),
        ("EX2", "CYCLING", "PT1H", "2026-11-27T10:00:00", False),
        ("EX3", "RUNNING", "PT29M59S", "2026-11-27T12:00:00", False),
        ("EX4", "WALKING", "PT30M", "2026-11-27T14:00:00", True),
        ("EX5", "SKATING", "PT2H", "2026-11-27T16:00:00", False),  # "other", not chosen
    ]
    for exercise_id, sport, duration, start, runs in workouts:
        ran.clear()
        await workout(
            hass, polar_api, post_webhook, exercise_id, sport=sport, duration=duration, start=start
        )
        assert len(ran) == runs, exercise_id
    assert hass.states.get("sensor.alice_runner_last_exercise_sport").state == "other"


@pytest.mark.usefixtures("blueprint_folder")
async def test_after_workout_gives_the_actions_the_workout(
    hass: HomeAssistant,
    account: str,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    ran: list[Event],
) -> None:
    """With only the account chosen every workout runs the actions, with its sport and numbers."""
    await use_blueprint(hass, "after_workout", {"account": account}, WORKOUT_DATA)

    # (id, what differs from fixtures/exercise.json, what the actions get)
    workouts: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("EX1", {}, {"sport": "running", "duration_min": 42, "distance_km": 8.1}),
        (
            "EX2",
            {"sport": "ROWING", "duration": "PT5M29S", "distance": None},
            {"sport": "rowing", "duration_min": 5, "distance_km": None},
        ),
        (
            "EX3",
            {"sport": "STRENGTH-TRAINING", "distance": 1960},
            {"sport": "strength_training", "duration_min": 42, "distance_km": 2.0},
        ),
        (
            "EX4",
            {"sport": "ICE SKATING"},
            {"sport": "other", "duration_min": 42, "distance_km": 8.1},
        ),
    ]
    for hour, (exercise_id, fields, _) in enumerate(workouts, start=8):
        await workout(
            hass,
            polar_api,
            post_webhook,
            exercise_id,
            start=f"2026-11-27T{hour:02}:00:00",
            **fields,
        )
    assert [event.data for event in ran] == [
        {
            **shown,
            "exercise_id": exercise_id,
            "message": f"Nice run: {shown['distance_km']} km in {shown['duration_min']} min.",
        }
        for exercise_id, _, shown in workouts
    ]


@pytest.mark.usefixtures("blueprint_folder")
async def test_morning_readiness_runs_once_after_a_night_no_better_than_chosen(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: str,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    ran: list[Event],
) -> None:
    """Last night's recharge at most compromised runs the actions once a day, and only it."""
    data = {"status": "{{ status }}", "ans_charge": "{{ ans_charge }}", "date": "{{ date }}"}
    inputs = {"account": account, "level": "compromised"}
    await use_blueprint(hass, "morning_readiness", inputs, data)

    # (local time, the night's date, its status 1-6, the runs so far)
    syncs = [
        ("2026-11-29T07:15:00", "2026-11-29", 5, 0),  # good
        ("2026-11-29T07:40:00", "2026-11-29", 2, 1),  # the night synced again: poor
        ("2026-11-29T08:00:00", "2026-11-29", 1, 1),  # again very poor: not twice a day
        ("2026-11-30T07:00:00", "2026-11-29", 3, 1),  # a late sync of an earlier night
        ("2026-11-30T07:05:00", "2026-11-30", 4, 1),  # ok
        ("2026-12-01T06:50:00", "2026-12-01", 3, 2),  # compromised
    ]
    for moment, day, status, runs in syncs:
        await at_local(hass, freezer, moment)
        replace_route(
            polar_api, "get", f"{API}/v3/users/sleep/{day}", json=load_fixture("sleep", date=day)
        )
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/users/nightly-recharge/{day}",
            json=load_fixture("nightly_recharge", date=day, nightly_recharge_status=status),
        )
        await push(hass, post_webhook, sleep_notice_json(day))
        assert hass.states.get("event.alice_runner_nightly_recharge").attributes["date"] == day
        assert len(ran) == runs, moment
    assert [event.data for event in ran] == [
        {"status": "poor", "ans_charge": 3.2, "date": "2026-11-29"},
        {"status": "compromised", "ans_charge": 3.2, "date": "2026-12-01"},
    ]


@pytest.mark.usefixtures("blueprint_folder", "setup_integration")
async def test_bedtime_runs_the_chosen_time_before_each_sleep_window(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    ran: list[Event],
) -> None:
    """45 minutes before tonight's recommended sleep start, once; the next night moves it."""
    await at_utc(hass, freezer, "2026-11-29T12:00:00+00:00")
    # The sensor appears with the account's first SleepWise data, before the automation is made.
    route = f"{API}/v3/users/sleepwise/circadian-bedtime/date"
    replace_route(
        polar_api,
        "get",
        route,
        json=[
            bedtime_period("2026-11-28T21:00:00", "2026-11-29T05:00:00"),
            bedtime_period("2026-11-29T21:10:00", "2026-11-30T05:10:00"),
        ],
    )
    await push(hass, post_webhook, bedtime_notice_json("2026-11-29"))
    assert hass.states.get(SLEEP_WINDOW_START).state == "2026-11-29T21:10:00+00:00"
    inputs = {"sleep_window_start": SLEEP_WINDOW_START, "lead_time": "-00:45:00"}
    await use_blueprint(hass, "bedtime", inputs, {"bedtime": "{{ sleep_window_start }}"})

    await at_utc(hass, freezer, "2026-11-29T20:24:59+00:00")
    assert ran == []
    await at_utc(hass, freezer, "2026-11-29T20:25:00+00:00")
    local = dt_util.as_local(datetime(2026, 11, 29, 21, 10, tzinfo=UTC)).strftime("%H:%M")
    assert [event.data for event in ran] == [{"bedtime": local}]

    # Tomorrow's window is later; the entry reloading in the evening runs nothing.
    await at_utc(hass, freezer, "2026-11-30T12:00:00+00:00")
    replace_route(
        polar_api, "get", route, json=[bedtime_period("2026-11-30T22:00:00", "2026-12-01T06:00:00")]
    )
    await push(hass, post_webhook, bedtime_notice_json("2026-11-30"))
    for moment, runs in (
        ("2026-11-30T20:25:00+00:00", 1),  # yesterday's time
        ("2026-11-30T21:14:59+00:00", 1),
        ("2026-11-30T21:15:00+00:00", 2),
        ("2026-11-30T22:00:00+00:00", 2),
    ):
        await at_utc(hass, freezer, moment)
        assert len(ran) == runs, moment
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ran) == 2


@pytest.mark.usefixtures("blueprint_folder")
async def test_step_goal_runs_once_a_day_when_todays_steps_reach_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: str,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    ran: list[Event],
) -> None:
    """The first sync of a day at the goal runs the actions; later syncs and other days do not."""
    inputs = {"account": account, "goal": 10000}
    await use_blueprint(hass, "step_goal", inputs, {"steps": "{{ steps }}", "goal": "{{ goal }}"})

    # (local time of the sync, the day synced, its steps, the runs so far)
    syncs = [
        ("2026-11-29T10:00:00", "2026-11-29", 4100, 0),
        ("2026-11-29T15:00:00", "2026-11-29", 10000, 1),  # the goal, exactly
        ("2026-11-29T21:00:00", "2026-11-29", 12050, 1),  # the next sync of the day
        ("2026-11-30T08:00:00", "2026-11-30", 900, 1),
        ("2026-11-30T09:00:00", "2026-11-29", 12800, 1),  # a late sync of yesterday
        ("2026-11-30T13:00:00", "2026-11-30", 9999, 1),
        ("2026-11-30T19:00:00", "2026-11-30", 10420, 2),
    ]
    for moment, day, steps, runs in syncs:
        await at_local(hass, freezer, moment)
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/users/activities/{day}",
            json=load_fixture("activity", start_time=f"{day}T00:00:00", steps=steps),
        )
        await push(hass, post_webhook, activity_notice_json(day))
        assert len(ran) == runs, moment
    assert [event.data for event in ran] == [
        {"steps": 10000, "goal": 10000},
        {"steps": 10420, "goal": 10000},
    ]
