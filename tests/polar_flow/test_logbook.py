"""The logbook shows one line per workout, with the integration's icon, in the user's language."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    API,
    NIGHT,
    USER_ID,
    PostWebhook,
    load_fixture,
    load_list,
    notice_json,
    replace_route,
)

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
    assert await untranslated(hass, entity_registry, setup_integration, language) == []


DAY = 24 * 3600
EXERCISE_DAY = "2026-11-27"
# Each kind's event entity and how many items the day below publishes to it.
LINES = {
    "exercise": 1,
    "cardio_load": 1,
    "sleep": 1,
    "nightly_recharge": 1,
    "activity": 1,
    "continuous_heart_rate": 1,
    "physical_information": 1,
    "sleepwise_alertness": 2,
    "sleepwise_circadian_bedtime": 2,
    "spo2": 1,
    "skin_temperature": 2,
    "body_temperature": 1,
}


def day_notice(event: str, path: str, **fields: str) -> dict[str, Any]:
    """Return a notice of one of the kinds Polar pushes, as it pushes it."""
    return {
        "event": event,
        "user_id": USER_ID,
        "timestamp": f"{NIGHT}T20:00:00.000Z",
        "url": f"{API}{path}",
        **fields,
    }


async def live_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    served: dict[str, list[dict[str, Any]]],
) -> None:
    """Push one item or more of every kind, as a day with a SleepWise and biosensing device."""
    fixture = load_fixture
    sleepwise = {"from": "2026-11-28", "to": NIGHT}
    routes = {
        f"/v3/users/sleep/{NIGHT}": fixture("sleep"),
        f"/v3/users/nightly-recharge/{NIGHT}": fixture("nightly_recharge"),
        f"/v3/users/activities/{NIGHT}": fixture("activity"),
        f"/v3/users/continuous-heart-rate/{NIGHT}": fixture("continuous_heart_rate"),
        "/v3/users/physical-info": fixture("physical_info"),
        "/v3/users/sleepwise/alertness/date": load_list("alertness"),
        "/v3/users/sleepwise/circadian-bedtime/date": load_list("circadian_bedtime"),
    }
    for path, body in routes.items():
        replace_route(polar_api, "get", f"{API}{path}", json=body)
    served["cardio_load"].append(fixture("cardio_load", date=EXERCISE_DAY))
    notices = [
        notice_json("EX1"),
        SLEEP_NOTICE,
        day_notice("ACTIVITY_SUMMARY", f"/v3/users/activities/{NIGHT}", date=NIGHT),
        day_notice("CONTINUOUS_HEART_RATE", f"/v3/users/continuous-heart-rate/{NIGHT}", date=NIGHT),
        day_notice("PHYSICAL_INFORMATION", "/v3/users/physical-info"),
        day_notice("SLEEP_WISE_ALERTNESS", "/v3/users/sleepwise/alertness/date", **sleepwise),
        day_notice(
            "SLEEP_WISE_CIRCADIAN_BEDTIME",
            "/v3/users/sleepwise/circadian-bedtime/date",
            **sleepwise,
        ),
    ]
    for notice in notices:
        assert (await post_webhook(notice)).status == 200, notice["event"]
        await hass.async_block_till_done(wait_background_tasks=True)
    # Polar pushes no body sensing: the device's tests and temperatures are listed once a day.
    for name in ("spo2", "skin_temperature", "body_temperature"):
        served[name].extend(load_list(name))
    freezer.tick(timedelta(seconds=DAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def served(
    cardio_loads: list[dict[str, Any]],
    spo2_tests: list[dict[str, Any]],
    skin_temperatures: list[dict[str, Any]],
    body_temperatures: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Return the lists AccessLink serves for the kinds fetched by listing, to fill later."""
    return {
        "cardio_load": cardio_loads,
        "spo2": spo2_tests,
        "skin_temperature": skin_temperatures,
        "body_temperature": body_temperatures,
    }


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_a_day_of_every_kind_is_one_worded_line_per_item(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: Any,
    hass_ws_client: Any,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
    served: dict[str, list[dict[str, Any]]],
    language: str,
) -> None:
    """Each item of every kind is one logbook line, its entity and event type worded, no raw key."""
    hass.config.language = language
    start = dt_util.utcnow() - timedelta(seconds=1)  # the clock stands still until the night
    client = await hass_ws_client()  # signed in now: its access token would expire in a day
    await live_a_day(hass, freezer, polar_api, post_webhook, served)
    await hass.async_add_executor_job(recorder_mock.block_till_done)

    await client.send_json(
        {
            "id": 1,
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(days=3)).isoformat(),
        }
    )
    response = await client.receive_json()
    keys = {
        entry.entity_id: entry.translation_key
        for entry in er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
        if entry.domain == "event"
    }
    lines = [
        (keys[entry["entity_id"]], entry["attributes"]["event_type"])
        for entry in response["result"]
        if entry.get("entity_id") in keys
    ]
    assert Counter(key for key, _ in lines) == LINES

    # The frontend names each line after its entity and words its event type.
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    icons = await async_get_icons(hass, "entity", [DOMAIN])
    for key, event_type in lines:
        prefix = f"component.{DOMAIN}.entity.event.{key}"
        name = translations.get(f"{prefix}.name")
        text = translations.get(f"{prefix}.state_attributes.event_type.state.{event_type}")
        assert name not in (None, "", key), key
        assert text not in (None, "", event_type), (key, event_type)
        assert icons[DOMAIN]["event"][key]["default"].startswith("mdi:")


async def untranslated(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    config_entry: MockConfigEntry,
    language: str,
) -> list[str]:
    """Return the translation keys the entry's entities need and the language lacks."""
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    missing = []
    for entry in er.async_entries_for_config_entry(entity_registry, config_entry.entry_id):
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
                # A key such as above_usual; Polar's own values (RUNNING, EX1) show as they are.
                if isinstance(value, str) and value.isidentifier() and value.islower():
                    wanted.append(f"{prefix}.state_attributes.{attribute}.state.{value}")
        if state is not None and "options" in state.attributes:
            wanted += [f"{prefix}.state.{key}" for key in state.attributes["options"]]
        missing += [key for key in wanted if not translations.get(key)]
    return missing


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("language", ["en", "fi"])
async def test_a_day_of_every_kind_shows_no_raw_key(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
    served: dict[str, list[dict[str, Any]]],
    language: str,
) -> None:
    """Every entity of every kind, also those disabled by default, is worded in each language."""
    await live_a_day(hass, freezer, polar_api, post_webhook, served)
    entries = er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
    assert {entry.translation_key for entry in entries if entry.domain == "event"} == set(LINES)
    assert await untranslated(hass, entity_registry, setup_integration, language) == []


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_every_name_fits_the_device_page(hass: HomeAssistant, language: str) -> None:
    """The device page shows about 40 characters of a name; Finnish words run long."""
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    names = [text for key, text in translations.items() if key.endswith(".name")]
    assert len(names) > 60
    assert [name for name in names if len(name) > 42] == []
