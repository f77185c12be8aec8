"""The calendars: every exercise and night of the history, and SleepWise's next sleep window."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import parse_yaml

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    count_writes,
    exercise_json,
    load_fixture,
    load_list,
    notice_json,
    replace_route,
)

TRAINING = "calendar.alice_runner_training"
SLEEP = "calendar.alice_runner_sleep"
RAN = "test_calendar_automation_ran"
# The examples users copy: the README's, and the rest in docs/automations.md.
EXAMPLES = (
    Path(__file__).parents[2] / "README.md",
    Path(__file__).parents[2] / "docs" / "automations.md",
)
RECOVERY_TITLE = "# An hour after a training ends, a recovery reminder"
# Tonight's predicted window of fixtures/circadian_bedtime.json, and the moment before it.
WINDOW_START = "2026-11-29T21:10:00+00:00"
NOON = "2026-11-29T12:00:00+00:00"

RUN = {
    "summary": "Running · 8.4 km · 47 min",
    "description": (
        "Average heart rate: 148 bpm\nMaximum heart rate: 176 bpm\n"
        "Calories: 530 kcal\nTraining load: 96"
    ),
    "start": "2026-11-24T18:30:00+02:00",
    "end": "2026-11-24T19:17:12+02:00",
}
STRENGTH = {
    "summary": "Strength training · 1 h 5 min",
    "description": "Calories: 530 kcal",
    "start": "2026-11-25T07:00:00+02:00",
    "end": "2026-11-25T08:05:00+02:00",
}
# No duration: a minute long. A sport the sensor has no state for shows Polar's own name.
TABLE_TENNIS = {
    "summary": "Table tennis · 2.0 km",
    "description": (
        "Average heart rate: 148 bpm\nMaximum heart rate: 176 bpm\n"
        "Calories: 530 kcal\nTraining load: 96"
    ),
    "start": "2026-11-26T17:00:00+02:00",
    "end": "2026-11-26T17:01:00+02:00",
}
NIGHT = {
    "summary": "Sleep · 7 h 22 min",
    "description": "Sleep score: 82",
    "start": "2026-11-28T23:12:30+02:00",
    "end": "2026-11-29T07:04:00+02:00",
}
WINDOW = {
    "summary": "Recommended sleep window",
    "start": "2026-11-29T23:10:00+02:00",
    "end": "2026-11-30T07:10:00+02:00",
}


@pytest.fixture
def exercises() -> list[dict[str, Any]]:
    """List a week of training at AccessLink, and one exercise without a start."""
    return [
        exercise_json("EX10", start="2026-11-24T18:30:00", duration="PT47M12S", distance=8400.0),
        exercise_json(
            "EX11",
            sport="STRENGTH_TRAINING",
            start="2026-11-25T07:00:00",
            duration="PT1H5M",
            distance=None,
            heart_rate={},
            training_load=None,
        ),
        exercise_json(
            "EX12", sport="TABLE_TENNIS", start="2026-11-26T17:00:00", duration=None, distance=2000
        ),
        exercise_json("EX13", start=None),
    ]


@pytest.fixture
def nights() -> list[dict[str, Any]]:
    """List a night, and one whose start Polar left out."""
    return [load_fixture("sleep"), load_fixture("sleep", date="2026-11-28", sleep_start_time=None)]


@pytest.fixture
def bedtime_periods() -> list[dict[str, Any]]:
    """List SleepWise circadian bedtime periods: last night's and tonight's predicted one."""
    return load_list("circadian_bedtime")


async def set_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry, moment: str
) -> None:
    """Set up Alice's account at a moment."""
    freezer.move_to(moment)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    """Let Home Assistant's clock run on to a moment, five minutes at a time as it ticks."""
    target = datetime.fromisoformat(moment)
    while (step := dt_util.utcnow() + timedelta(minutes=5)) < target:
        freezer.move_to(step)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    freezer.move_to(target)
    # Twice: what the first round schedules for this very moment runs at once, as it does live.
    for _ in range(2):
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def sign_in(hass: HomeAssistant, user: MockUser) -> str:
    """Return an access token of a user signing in now, on Home Assistant's clock."""
    refresh_token = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return hass.auth.async_create_access_token(refresh_token)


def calendar_ids(entity_registry: er.EntityRegistry) -> dict[str, str]:
    """Return the entity ids of the calendars by their key; they follow the language."""
    return {
        key: str(entity_registry.async_get_entity_id("calendar", DOMAIN, f"{USER_ID}_{key}"))
        for key in ("training", "sleep")
    }


async def get_events(hass: HomeAssistant, entity_id: str, start: str, end: str) -> Any:
    """Return a calendar's events in a range, as the calendar.get_events action answers."""
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    return response[entity_id]["events"]


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_calendar_platform(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Two calendars on the account's device; the sleep calendar shows tonight's window next."""
    with patch("custom_components.polar_flow.PLATFORMS", [Platform.CALENDAR]):
        await set_up(hass, freezer, config_entry, NOON)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_events_over_a_range(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, config_entry: MockConfigEntry
) -> None:
    """Each exercise with a start and each timed night is one event; a range gets what overlaps."""
    await set_up(hass, freezer, config_entry, NOON)
    week = ("2026-11-23T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    assert await get_events(hass, TRAINING, *week) == [RUN, STRENGTH, TABLE_TENNIS]
    assert await get_events(hass, SLEEP, *week) == [NIGHT, WINDOW]
    # Half an hour into the strength training, a quarter of an hour long: only that one.
    middle = ("2026-11-25T05:30:00+00:00", "2026-11-25T05:45:00+00:00")
    assert await get_events(hass, TRAINING, *middle) == [STRENGTH]
    assert await get_events(hass, SLEEP, *middle) == []


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_rest_api_of_the_calendar_panel(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    http_client: Any,
    hass_admin_user: MockUser,
) -> None:
    """The calendar panel lists both calendars and a month of their events."""
    await set_up(hass, freezer, config_entry, NOON)
    headers = {"Authorization": f"Bearer {await sign_in(hass, hass_admin_user)}"}
    calendars = await (await http_client.get("/api/calendars", headers=headers)).json()
    assert calendars == [
        {"entity_id": SLEEP, "name": "Alice Runner Sleep"},
        {"entity_id": TRAINING, "name": "Alice Runner Training"},
    ]
    response = await http_client.get(
        f"/api/calendars/{TRAINING}",
        params={"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
        headers=headers,
    )
    assert response.status == 200
    events = await response.json()
    assert [(event["uid"], event["summary"]) for event in events] == [
        ("EX10", RUN["summary"]),
        ("EX11", STRENGTH["summary"]),
        ("EX12", TABLE_TENNIS["summary"]),
    ]
    start = datetime.fromisoformat(events[0]["start"]["dateTime"])
    assert start == datetime.fromisoformat(RUN["start"])


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_finnish_titles(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """With Home Assistant in Finnish, sports, labels and the window are worded in Finnish."""
    hass.config.language = "fi"
    await set_up(hass, freezer, config_entry, NOON)
    ids = calendar_ids(entity_registry)
    assert ids == {
        "training": "calendar.alice_runner_harjoitukset",
        "sleep": "calendar.alice_runner_uni",
    }
    week = ("2026-11-23T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    training = await get_events(hass, ids["training"], *week)
    assert [(event["summary"], event["description"]) for event in training] == [
        (
            "Juoksu · 8.4 km · 47 min",
            "Keskisyke: 148 bpm\nMaksimisyke: 176 bpm\nKalorit: 530 kcal\nHarjoituskuorma: 96",
        ),
        ("Voimaharjoittelu · 1 h 5 min", "Kalorit: 530 kcal"),
        (
            "Table tennis · 2.0 km",
            "Keskisyke: 148 bpm\nMaksimisyke: 176 bpm\nKalorit: 530 kcal\nHarjoituskuorma: 96",
        ),
    ]
    sleep = await get_events(hass, ids["sleep"], *week)
    assert [(event["summary"], event.get("description")) for event in sleep] == [
        ("Uni · 7 h 22 min", "Unipisteet: 82"),
        ("Suositeltu unijakso", None),
    ]
    assert hass.states.get(ids["sleep"]).attributes["message"] == "Suositeltu unijakso"
    assert hass.states.get(ids["training"]).name == "Alice Runner Harjoitukset"


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("setup_credentials")
async def test_pushed_exercises_appear(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    hass_ws_client: Any,
    hass_admin_user: MockUser,
) -> None:
    """A dashboard showing the week gets each exercise pushed, an older one synced late too."""
    await set_up(hass, freezer, config_entry, "2026-11-27T07:00:00+00:00")
    client = await hass_ws_client(hass, await sign_in(hass, hass_admin_user))
    await client.send_json(
        {
            "id": 1,
            "type": "calendar/event/subscribe",
            "entity_id": TRAINING,
            "start": "2026-11-23T00:00:00+00:00",
            "end": "2026-11-28T00:00:00+00:00",
        }
    )
    assert (await client.receive_json())["success"]
    week = [RUN["summary"], STRENGTH["summary"], TABLE_TENNIS["summary"]]
    assert await shown(client) == week

    # This morning's run: the newest exercise.
    await push_exercise(hass, freezer, post_webhook, "EX1")
    assert await shown(client, week) == [*week, "Running · 8.1 km · 42 min"]
    day = ("2026-11-27T00:00:00+00:00", "2026-11-28T00:00:00+00:00")
    ((start, end),) = [
        (event["start"], event["end"]) for event in await get_events(hass, TRAINING, *day)
    ]
    assert (start, end) == ("2026-11-27T08:00:00+02:00", "2026-11-27T08:42:10+02:00")

    # A ride of Monday, synced only now: older than the newest, which the sensors keep.
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX2",
        json=exercise_json(
            "EX2", sport="CYCLING", start="2026-11-23T10:00:00", duration="PT1H30M", distance=30000
        ),
    )
    await push_exercise(hass, freezer, post_webhook, "EX2")
    assert await shown(client, [*week, "Running · 8.1 km · 42 min"]) == [
        "Cycling · 30.0 km · 1 h 30 min",
        *week,
        "Running · 8.1 km · 42 min",
    ]


async def push_exercise(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, post_webhook: PostWebhook, exercise: str
) -> None:
    """Push an exercise and let a few seconds pass, as subscriptions are updated once a second."""
    assert (await post_webhook(notice_json(exercise))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await at(hass, freezer, (dt_util.utcnow() + timedelta(seconds=5)).isoformat())


async def shown(client: Any, before: list[str] | None = None) -> list[str]:
    """Return the event titles a calendar subscription pushes next that differ from before.

    Home Assistant's clock stands still here, so a subscription that never changes fails the
    test by its timeout.
    """
    while True:
        message = await client.receive_json()
        titles = [event["summary"] for event in message["event"]["events"]]
        if titles != before:
            return titles


def legacy_trigger(entity_id: str, event: str, offset: str = "0:0:0") -> dict[str, Any]:
    """Return a calendar trigger as the automation editor saves it."""
    return {"trigger": "calendar", "event": event, "offset": offset, "entity_id": entity_id}


def target_trigger(
    entity_id: str, event: str, *, hours: int = 0, minutes: int = 0, offset_type: str = "before"
) -> dict[str, Any]:
    """Return a calendar event started/ended trigger as the automation editor saves it."""
    return {
        "trigger": f"calendar.event_{'started' if event == 'start' else 'ended'}",
        "target": {"entity_id": entity_id},
        "options": {
            "offset": {"days": 0, "hours": hours, "minutes": minutes, "seconds": 0},
            "offset_type": offset_type,
        },
    }


type Automate = Callable[[dict[str, dict[str, Any]]], Awaitable[None]]


@pytest.fixture
async def automate(hass: HomeAssistant) -> AsyncGenerator[Automate]:
    """Return how to set up automations, each telling the event that started it; off at the end."""

    async def _automate(triggers: dict[str, dict[str, Any]]) -> None:
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": [
                    {
                        "id": name,
                        "alias": name,
                        "triggers": [trigger],
                        "actions": [
                            {
                                "event": RAN,
                                "event_data": {
                                    "automation": name,
                                    "summary": "{{ trigger.calendar_event.summary }}",
                                },
                            }
                        ],
                    }
                    for name, trigger in triggers.items()
                ]
            },
        )
        await hass.async_block_till_done()

    yield _automate
    # A calendar trigger looks ahead every 15 minutes until its automation stops.
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


def runs(ran: list[Event]) -> list[tuple[str, str]]:
    """Return which automations ran, and for which event, then forget them."""
    result = sorted((event.data["automation"], event.data["summary"]) for event in ran)
    ran.clear()
    return result


@pytest.fixture
def ran(hass: HomeAssistant) -> list[Event]:
    """Collect the runs of the automations."""
    return async_capture_events(hass, RAN)


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_training_event_starts_and_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    automate: Automate,
    ran: list[Event],
) -> None:
    """Automations on a training event's start and end run then, the calendar on meanwhile."""
    await set_up(hass, freezer, config_entry, "2026-11-24T16:00:00+00:00")
    await automate(
        {
            "start": legacy_trigger(TRAINING, "start"),
            "end": legacy_trigger(TRAINING, "end"),
            "started": target_trigger(TRAINING, "start"),
            "ended": target_trigger(TRAINING, "end"),
        },
    )
    run = RUN["summary"]
    await at(hass, freezer, "2026-11-24T16:29:59+00:00")
    assert (runs(ran), hass.states.get(TRAINING).state) == ([], "off")
    await at(hass, freezer, "2026-11-24T16:30:00+00:00")
    assert runs(ran) == [("start", run), ("started", run)]
    assert hass.states.get(TRAINING).attributes["message"] == run
    assert hass.states.get(TRAINING).state == "on"
    await at(hass, freezer, "2026-11-24T17:17:11+00:00")
    assert runs(ran) == []
    await at(hass, freezer, "2026-11-24T17:17:12+00:00")
    assert runs(ran) == [("end", run), ("ended", run)]
    # The next event is the next day's strength training.
    assert hass.states.get(TRAINING).state == "off"
    assert hass.states.get(TRAINING).attributes["message"] == STRENGTH["summary"]


@pytest.mark.usefixtures("setup_credentials")
async def test_an_hour_after_a_pushed_training_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    automate: Automate,
    ran: list[Event],
) -> None:
    """An exercise arrives after it ended: an end trigger an hour after it runs, at that hour.

    A trigger without an offset looks ahead only: for an exercise synced after it ended it
    never comes.
    """
    await set_up(hass, freezer, config_entry, "2026-11-27T06:50:00+00:00")
    await automate(
        {
            "end": legacy_trigger(TRAINING, "end"),
            "an hour after": legacy_trigger(TRAINING, "end", "1:00:00"),
            "ended an hour ago": target_trigger(TRAINING, "end", hours=1, offset_type="after"),
        },
    )
    # EX1 ran 06:00-06:42:10 UTC and synced at 06:50.
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await at(hass, freezer, "2026-11-27T07:42:09+00:00")
    assert runs(ran) == []
    await at(hass, freezer, "2026-11-27T07:42:10+00:00")
    run = "Running · 8.1 km · 42 min"
    assert runs(ran) == [("an hour after", run), ("ended an hour ago", run)]
    await at(hass, freezer, "2026-11-27T09:00:00+00:00")
    assert runs(ran) == []


def readme_example(title: str) -> dict[str, Any]:
    """Return a README example as the automation editor saves it after "Edit in YAML"."""
    (text,) = [text for path in EXAMPLES if f"```yaml\n{title}\n" in (text := path.read_text())]
    block = text.split(f"```yaml\n{title}\n", 1)[1].split("```", 1)[0]
    example: dict[str, Any] = parse_yaml(block)
    return {"id": "readme", "alias": title.lstrip("# "), "description": "", **example}


@pytest.mark.usefixtures("setup_credentials")
async def test_readme_recovery_reminder(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
) -> None:
    """The README's reminder comes an hour after a training Polar pushed when it ended."""
    notified = async_mock_service(hass, "notify", "mobile_app_phone")
    await set_up(hass, freezer, config_entry, "2026-11-27T06:45:00+00:00")
    assert await async_setup_component(
        hass, "automation", {"automation": [readme_example(RECOVERY_TITLE)]}
    )
    await hass.async_block_till_done()
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await at(hass, freezer, "2026-11-27T07:42:09+00:00")
    assert notified == []
    await at(hass, freezer, "2026-11-27T07:42:10+00:00")
    assert [call.data["message"] for call in notified] == [
        "Running · 8.1 km · 42 min ended an hour ago: time for a recovery meal."
    ]
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_half_an_hour_before_the_sleep_window(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    automate: Automate,
    ran: list[Event],
) -> None:
    """The sleep calendar's window starts a bedtime routine half an hour before it."""
    await set_up(hass, freezer, config_entry, NOON)
    await automate(
        {
            "bedtime": legacy_trigger(SLEEP, "start", "-0:30:0"),
            "bedtime soon": target_trigger(SLEEP, "start", minutes=30),
            "window": legacy_trigger(SLEEP, "start"),
        },
    )
    await at(hass, freezer, "2026-11-29T20:39:59+00:00")
    assert runs(ran) == []
    await at(hass, freezer, "2026-11-29T20:40:00+00:00")
    window = WINDOW["summary"]
    assert runs(ran) == [("bedtime", window), ("bedtime soon", window)]
    await at(hass, freezer, WINDOW_START)
    assert runs(ran) == [("window", window)]
    assert hass.states.get(SLEEP).state == "on"
    # After the window, nothing more is ahead until SleepWise predicts the next night.
    await at(hass, freezer, "2026-11-30T05:10:00+00:00")
    assert hass.states.get(SLEEP).state == "off"
    assert "message" not in hass.states.get(SLEEP).attributes


@pytest.mark.usefixtures("setup_credentials")
async def test_past_exercises_leave_the_calendars_as_they_were(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> None:
    """A burst of finished workouts does not rewrite the calendars; one under way shows at once."""
    await set_up(hass, freezer, config_entry, "2026-11-27T06:20:00+00:00")
    writes = count_writes(hass)
    for day in range(20, 23):
        exercise = f"EX{day}"
        replace_route(
            polar_api,
            "get",
            f"{API}/v3/exercises/{exercise}",
            json=exercise_json(exercise, start=f"2026-11-{day}T10:00:00"),
        )
        assert (await post_webhook(notice_json(exercise))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (
        len(await get_events(hass, TRAINING, "2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z")) == 3
    )
    assert (writes[TRAINING], writes[SLEEP]) == (0, 0)

    # This morning's run, under way since 06:00 UTC.
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (writes[TRAINING], writes[SLEEP]) == (1, 0)
    assert hass.states.get(TRAINING).state == "on"
    assert hass.states.get(TRAINING).attributes["message"] == "Running · 8.1 km · 42 min"

    # Another workout without a start, pushed while the run is shown, changes nothing shown.
    replace_route(
        polar_api, "get", f"{API}/v3/exercises/EX23", json=exercise_json("EX23", start=None)
    )
    assert (await post_webhook(notice_json("EX23"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (writes[TRAINING], writes[SLEEP]) == (1, 0)
