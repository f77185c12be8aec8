"""SleepWise: alertness and circadian bedtime periods pushed with from/to, caught up and shown."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.const import DOMAIN, RECONCILE_INTERVAL

from .conftest import (
    API,
    NIGHT,
    PostWebhook,
    enable_entities,
    load_list,
    move_time,
    replace_route,
    requests_to,
    sleepwise_notice_json,
)

ALERTNESS_PATH = "/v3/users/sleepwise/alertness/date"
BEDTIME_PATH = "/v3/users/sleepwise/circadian-bedtime/date"
ALERTNESS_EVENT = "event.alice_runner_sleepwise_alertness"
BEDTIME_EVENT = "event.alice_runner_sleepwise_circadian_bedtime"
GRADE = "sensor.alice_runner_alertness_grade"
CLASSIFICATION = "sensor.alice_runner_alertness"
SLEEP_WINDOW_START = "sensor.alice_runner_recommended_sleep_start"
SLEEP_WINDOW_END = "sensor.alice_runner_recommended_sleep_end"
SLEEP_GATE_START = "sensor.alice_runner_sleep_gate_start"
BEDTIME = "SLEEP_WISE_CIRCADIAN_BEDTIME"


def alertness(index: int = 1, **changes: Any) -> dict[str, Any]:
    """Return a period of fixtures/alertness.json (0: the day before, 1: today's)."""
    return {**load_list("alertness")[index], **changes}


def bedtime(index: int = 1, **changes: Any) -> dict[str, Any]:
    """Return a period of fixtures/circadian_bedtime.json (0: last night, 1: tonight)."""
    return {**load_list("circadian_bedtime")[index], **changes}


async def notify(hass: HomeAssistant, post_webhook: PostWebhook, **notice: Any) -> None:
    """Push a SleepWise notice and let its work finish."""
    response = await post_webhook(sleepwise_notice_json(**notice))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("setup_integration")
async def test_alertness_push_publishes_each_period_once(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    alertness_events: list[Event],
) -> None:
    """A notice fetches its dates; each period fires once, again only when it changed."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=load_list("alertness"))
    await notify(hass, post_webhook)

    (request,) = [call for call in polar_api.mock_calls if call[1].path == ALERTNESS_PATH]
    assert dict(request[1].query) == {"from": "2026-11-28", "to": NIGHT}
    assert [
        (event.data["period_start"], event.data["classification"]) for event in alertness_events
    ] == [
        ("2026-11-27T23:05:00+02:00", "fair"),
        ("2026-11-28T23:12:30+02:00", "strong"),
    ]
    today = alertness_events[-1].data
    assert {key: today[key] for key in today if key not in {"device_id", "config_entry_id"}} == {
        "user_id": 12345678,
        "period_start": "2026-11-28T23:12:30+02:00",
        "period_end": "2026-11-29T22:30:00+02:00",
        "grade": 9.1,
        "classification": "strong",
        "sleep_inertia": "mild",
        "validity": "estimate",
        "result_type": "prediction",
        "sleep_start": "2026-11-28T23:12:30.570000+02:00",
        "sleep_end": "2026-11-29T07:04:00.570000+02:00",
    }
    assert hass.states.get(GRADE).state == "9.1"
    assert hass.states.get(CLASSIFICATION).state == "strong"
    assert hass.states.get(ALERTNESS_EVENT).attributes["event_type"] == "strong"

    await notify(hass, post_webhook)
    assert len(alertness_events) == 2

    changed = [alertness(0), alertness(1, grade=9.6, validity="VALIDITY_VALID")]
    replace_route(polar_api, "get", f"{API}{ALERTNESS_PATH}", json=changed)
    await notify(hass, post_webhook)
    assert [event.data["grade"] for event in alertness_events] == [7.4, 9.1, 9.6]
    assert hass.states.get(GRADE).state == "9.6"


@pytest.mark.usefixtures("setup_integration")
async def test_bedtime_push_sets_the_sleep_window(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    bedtime_events: list[Event],
) -> None:
    """Tonight's recommended sleep window and sleep gate become timestamp sensors."""
    polar_api.get(f"{API}{BEDTIME_PATH}", json=load_list("circadian_bedtime"))
    await notify(hass, post_webhook, event=BEDTIME)

    assert requests_to(polar_api, "GET", BEDTIME_PATH) == 1
    assert [event.data["quality"] for event in bedtime_events] == [
        "clearly_recognizable",
        "compromised",
    ]
    tonight = bedtime_events[-1].data
    assert tonight["sleep_window_start"] == "2026-11-29T23:10:00+02:00"
    assert tonight["sleep_gate_start"] == "2026-11-29T22:55:00+02:00"
    assert tonight["result_type"] == "prediction"
    assert hass.states.get(SLEEP_WINDOW_START).state == "2026-11-29T21:10:00+00:00"
    assert hass.states.get(SLEEP_WINDOW_END).state == "2026-11-30T05:10:00+00:00"
    assert hass.states.get(SLEEP_GATE_START).state == "2026-11-29T20:55:00+00:00"
    assert hass.states.get("sensor.alice_runner_sleep_gate_end").state == (
        "2026-11-29T21:25:00+00:00"
    )
    state = hass.states.get(BEDTIME_EVENT)
    assert state.attributes["event_type"] == "circadian_bedtime"

    await notify(hass, post_webhook, event=BEDTIME)
    assert len(bedtime_events) == 2


@pytest.mark.usefixtures("polar_api")
async def test_first_setup_takes_a_baseline(
    hass: HomeAssistant,
    setup_credentials: None,
    config_entry: MockConfigEntry,
    alertness_periods: list[dict[str, Any]],
    bedtime_periods: list[dict[str, Any]],
    alertness_events: list[Event],
    bedtime_events: list[Event],
) -> None:
    """Periods listed at the first setup are shown, not announced: no flood of old events."""
    alertness_periods.extend(load_list("alertness"))
    bedtime_periods.extend(load_list("circadian_bedtime"))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert alertness_events == []
    assert bedtime_events == []
    assert hass.states.get(GRADE).state == "9.1"
    assert hass.states.get(SLEEP_WINDOW_START).state == "2026-11-29T21:10:00+00:00"


async def test_no_sleepwise_device_no_entities_until_a_period_arrives(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    alertness_periods: list[dict[str, Any]],
    alertness_events: list[Event],
    bedtime_events: list[Event],
) -> None:
    """Without SleepWise (204) there are no SleepWise entities; the catch-up adds them later."""
    entries = er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
    assert not [entry for entry in entries if "sleepwise" in entry.entity_id]
    assert hass.states.get(GRADE) is None
    assert hass.states.get(ALERTNESS_EVENT) is None

    alertness_periods.append(alertness(1))
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    assert [event.data["grade"] for event in alertness_events] == [9.1]
    assert hass.states.get(GRADE).state == "9.1"
    assert hass.states.get(ALERTNESS_EVENT).attributes["event_type"] == "strong"
    assert bedtime_events == []
    assert hass.states.get(BEDTIME_EVENT) is None


@pytest.mark.usefixtures("setup_integration")
async def test_catch_up_lists_a_missed_period(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    bedtime_periods: list[dict[str, Any]],
    bedtime_events: list[Event],
) -> None:
    """A period whose notice never came is published by the next catch-up, once."""
    bedtime_periods.append(bedtime(1))
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    assert [event.data["sleep_gate_end"] for event in bedtime_events] == [
        "2026-11-29T23:25:00+02:00"
    ]
    assert requests_to(polar_api, "GET", "/v3/users/sleepwise/circadian-bedtime") >= 2


@pytest.mark.usefixtures("setup_integration")
async def test_notice_whose_period_starts_after_it_ends_fetches_nothing(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    alertness_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A notice whose from is after its to is answered 200 and asks AccessLink nothing."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=load_list("alertness"))
    await notify(hass, post_webhook, start=NIGHT, end="2026-11-28")
    assert requests_to(polar_api, "GET", ALERTNESS_PATH) == 0
    assert alertness_events == []
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("setup_integration")
async def test_notice_longer_than_28_days_asks_its_last_28(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    alertness_events: list[Event],
) -> None:
    """AccessLink refuses more than 28 days: the notice's last 28 are asked, the rest listed."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=[alertness(1)])
    await notify(hass, post_webhook, start="2026-09-01")
    (request,) = [call for call in polar_api.mock_calls if call[1].path == ALERTNESS_PATH]
    assert dict(request[1].query) == {"from": "2026-11-01", "to": NIGHT}
    assert len(alertness_events) == 1


@pytest.mark.parametrize(
    "classification",
    ["GRADE_CLASSIFICATION_UNKNOWN", "GRADE_CLASSIFICATION_SUPERB", None],
)
@pytest.mark.usefixtures("setup_integration")
async def test_unclassified_grade_is_measured(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    alertness_events: list[Event],
    classification: str | None,
) -> None:
    """A grade Polar did not classify (or classified in a way unknown here) fires as measured."""
    polar_api.get(
        f"{API}{ALERTNESS_PATH}", json=[alertness(1, grade_classification=classification)]
    )
    await notify(hass, post_webhook)
    assert [event.data["classification"] for event in alertness_events] == [None]
    assert hass.states.get(ALERTNESS_EVENT).attributes["event_type"] == "measured"
    assert hass.states.get(CLASSIFICATION).state == "unknown"
    assert hass.states.get(GRADE).state == "9.1"


async def test_secondary_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """Sleep inertia, validity and quality are there once enabled, their states translated keys."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=load_list("alertness"))
    polar_api.get(f"{API}{BEDTIME_PATH}", json=load_list("circadian_bedtime"))
    await notify(hass, post_webhook)
    await notify(hass, post_webhook, event=BEDTIME)
    secondary = {
        "sensor.alice_runner_sleep_inertia": "mild",
        "sensor.alice_runner_alertness_validity": "estimate",
        "sensor.alice_runner_circadian_bedtime_quality": "compromised",
        "sensor.alice_runner_circadian_bedtime_validity": "estimate",
    }
    assert {hass.states.get(entity_id) for entity_id in secondary} == {None}
    await enable_entities(hass, setup_integration, *secondary)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in secondary} == secondary


async def test_restart_keeps_what_was_shown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    alertness_events: list[Event],
    bedtime_events: list[Event],
) -> None:
    """After a reload the sensors show the stored periods, and nothing is announced again."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=load_list("alertness"))
    polar_api.get(f"{API}{BEDTIME_PATH}", json=load_list("circadian_bedtime"))
    await notify(hass, post_webhook)
    await notify(hass, post_webhook, event=BEDTIME)
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get(GRADE).state == "9.1"
    assert hass.states.get(SLEEP_WINDOW_START).state == "2026-11-29T21:10:00+00:00"
    await notify(hass, post_webhook)
    await notify(hass, post_webhook, event=BEDTIME)
    assert (len(alertness_events), len(bedtime_events)) == (2, 2)


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.usefixtures("setup_integration")
async def test_names_and_states_are_translated(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
    language: str,
) -> None:
    """Event types, event attributes and every sensor state are named in the user's language."""
    polar_api.get(f"{API}{ALERTNESS_PATH}", json=load_list("alertness"))
    polar_api.get(f"{API}{BEDTIME_PATH}", json=load_list("circadian_bedtime"))
    await notify(hass, post_webhook)
    await notify(hass, post_webhook, event=BEDTIME)
    translations = await async_get_translations(hass, language, "entity", [DOMAIN])
    missing: list[str] = []
    for entity_id, kind in (
        (ALERTNESS_EVENT, "sleepwise_alertness"),
        (BEDTIME_EVENT, "sleepwise_circadian_bedtime"),
    ):
        state = hass.states.get(entity_id)
        prefix = f"component.{DOMAIN}.entity.event.{kind}.state_attributes"
        own = set(state.attributes) - {"event_type", "event_types", "friendly_name"}
        missing += [key for key in own if not translations.get(f"{prefix}.{key}.name")]
        missing += [
            name
            for name in state.attributes["event_types"]
            if not translations.get(f"{prefix}.event_type.state.{name}")
        ]
    for entry in er.async_entries_for_config_entry(
        entity_registry, hass.config_entries.async_entries(DOMAIN)[0].entry_id
    ):
        if entry.domain != "sensor" or not entry.translation_key:
            continue
        prefix = f"component.{DOMAIN}.entity.sensor.{entry.translation_key}"
        if not translations.get(f"{prefix}.name"):
            missing.append(entry.translation_key)
        for option in (entry.capabilities or {}).get("options", []):
            if not translations.get(f"{prefix}.state.{option}"):
                missing.append(f"{entry.translation_key}.{option}")
    assert missing == []
