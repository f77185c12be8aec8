"""Sleep and Nightly Recharge: pushed, fetched, published per date when new or changed."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import (
    DOMAIN,
    EVENT_EXERCISE,
    EVENT_NIGHTLY_RECHARGE,
    EVENT_SLEEP,
)
from custom_components.polar_flow.recharge import NOT_FOUND_ATTEMPTS, NOT_FOUND_DELAY

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    enable_entities,
    make_entry,
    replace_route,
    requests_to,
    sequence,
)

FIXTURES = Path(__file__).parent / "fixtures"
NIGHT = "2026-11-29"
NOT_FOUND = {"status": 404, "errorType": "NotFound", "message": "no data for date"}
SLEEP_SENSOR = "sensor.alice_runner_sleep"
SLEEP_EVENT = "event.alice_runner_sleep"
RECHARGE_EVENT = "event.alice_runner_nightly_recharge"


def load(name: str, **changes: Any) -> dict[str, Any]:
    """Return a JSON fixture, with some values changed."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return {**data, **changes}


def sleep_notice(day: str = NIGHT) -> dict[str, Any]:
    """Return a SLEEP notice as Polar pushes it."""
    return {
        "event": "SLEEP",
        "user_id": USER_ID,
        "date": day,
        "timestamp": f"{day}T07:10:00.000Z",
        "url": f"{API}/v3/users/sleep/{day}",
    }


@pytest.fixture
def sleep_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_sleep events."""
    return async_capture_events(hass, EVENT_SLEEP)


@pytest.fixture
def recharge_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_nightly_recharge events."""
    return async_capture_events(hass, EVENT_NIGHTLY_RECHARGE)


@pytest.fixture
def night_api(polar_api: AiohttpClientMocker) -> AiohttpClientMocker:
    """Serve the night and its Nightly Recharge by date."""
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load("sleep"))
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", json=load("nightly_recharge"))
    return polar_api


async def push(hass: HomeAssistant, post_webhook: PostWebhook, day: str = NIGHT) -> None:
    """Push a SLEEP notice and let its work finish."""
    response = await post_webhook(sleep_notice(day))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def move_time(hass: HomeAssistant, seconds: float) -> None:
    """Let Home Assistant's clock run on."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("night_api")
async def test_sleep_notice_publishes_sleep_then_recharge(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
    recharge_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A pushed night reaches the bus, the event entities and the sensors; its recharge follows."""
    await push(hass, post_webhook)

    (device,) = dr.async_entries_for_config_entry(device_registry, setup_integration.entry_id)
    assert [event.data for event in sleep_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": NIGHT,
            "start": "2026-11-28T23:12:30+02:00",
            "end": "2026-11-29T07:04:00+02:00",
            "sleep_score": 82,
            "sleep_time": 26520,
            "light_sleep": 14460,
            "deep_sleep": 5280,
            "rem_sleep": 6780,
            "interruptions": 1770,
            "continuity": 3.4,
            "sleep_charge": "above_usual",
        }
    ]
    assert [event.data for event in recharge_events] == [
        {
            "device_id": device.id,
            "config_entry_id": setup_integration.entry_id,
            "user_id": USER_ID,
            "date": NIGHT,
            "status": "good",
            "ans_charge": 3.2,
            "heart_rate_average": 54,
            "heart_rate_variability": 48,
            "breathing_rate": 13.6,
        }
    ]
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"
    assert hass.states.get(f"{SLEEP_SENSOR}_time").state == "7.36666666666667"
    assert hass.states.get(f"{SLEEP_SENSOR}_start").state == "2026-11-28T21:12:30+00:00"
    assert hass.states.get(f"{SLEEP_SENSOR}_end").state == "2026-11-29T05:04:00+00:00"
    assert hass.states.get("sensor.alice_runner_nightly_recharge_status").state == "good"
    assert hass.states.get("sensor.alice_runner_ans_charge").state == "3.2"
    assert hass.states.get("sensor.alice_runner_heart_rate_variability").state == "48"
    assert hass.states.get(SLEEP_EVENT).attributes["event_type"] == "sleep"
    assert hass.states.get(SLEEP_EVENT).attributes["sleep_score"] == 82
    assert hass.states.get(RECHARGE_EVENT).attributes["event_type"] == "good"


async def test_secondary_sleep_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    entity_registry: er.EntityRegistry,
) -> None:
    """The stages and the finer recharge values are there once a user enables them."""
    secondary = {
        "sensor.alice_runner_light_sleep": "4.01666666666667",
        "sensor.alice_runner_deep_sleep": "1.46666666666667",
        "sensor.alice_runner_rem_sleep": "1.88333333333333",
        f"{SLEEP_SENSOR}_interruptions": "29.5",
        f"{SLEEP_SENSOR}_continuity": "3.4",
        f"{SLEEP_SENSOR}_charge": "above_usual",
        "sensor.alice_runner_nightly_heart_rate": "54",
        "sensor.alice_runner_breathing_rate": "13.6",
    }
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, setup_integration.entry_id)
        if entry.disabled_by is not None and "last_exercise" not in entry.entity_id
    }
    assert disabled == set(secondary)
    assert all(hass.states.get(entity_id) is None for entity_id in secondary)
    await enable_entities(hass, setup_integration, *secondary)
    await push(hass, post_webhook)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in secondary} == secondary


@pytest.mark.usefixtures("setup_integration")
async def test_repeated_night_publishes_nothing_new(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
    recharge_events: list[Event],
) -> None:
    """Polar sends SLEEP twice for the same night: the same content is published once."""
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    assert len(sleep_events) == 1
    assert len(recharge_events) == 1
    assert requests_to(night_api, "GET", f"/v3/users/sleep/{NIGHT}") == 2


@pytest.mark.usefixtures("setup_integration")
async def test_changed_night_publishes_once_more(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
    recharge_events: list[Event],
) -> None:
    """A late sync that changes the night publishes it again, once; the recharge is unchanged."""
    await push(hass, post_webhook)
    replace_route(
        night_api, "GET", f"{API}/v3/users/sleep/{NIGHT}", json=load("sleep", sleep_score=64)
    )
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    assert [event.data["sleep_score"] for event in sleep_events] == [82, 64]
    assert len(recharge_events) == 1
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "64"


@pytest.mark.usefixtures("setup_integration")
async def test_recharge_that_comes_late_is_fetched_again(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharge_events: list[Event],
) -> None:
    """Nightly Recharge may appear minutes after the sleep: it is asked for again after a while."""
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load("sleep"))
    polar_api.get(
        f"{API}/v3/users/nightly-recharge/{NIGHT}",
        side_effect=sequence((404, NOT_FOUND), (200, load("nightly_recharge"))),
    )
    await push(hass, post_webhook)
    assert recharge_events == []

    await move_time(hass, NOT_FOUND_DELAY + 1)
    assert [event.data["status"] for event in recharge_events] == ["good"]
    assert requests_to(polar_api, "GET", f"/v3/users/nightly-recharge/{NIGHT}") == 2


@pytest.mark.usefixtures("setup_integration")
async def test_recharge_missing_for_good_is_left_to_catch_up(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharges: list[dict[str, Any]],
    recharge_events: list[Event],
) -> None:
    """After a bounded number of tries the recharge is left to the catch-up, which lists it."""
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load("sleep"))
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", status=404, json=NOT_FOUND)
    await push(hass, post_webhook)
    for _ in range(NOT_FOUND_ATTEMPTS - 1):
        await move_time(hass, NOT_FOUND_DELAY + 1)
    assert requests_to(polar_api, "GET", f"/v3/users/nightly-recharge/{NIGHT}") == (
        NOT_FOUND_ATTEMPTS
    )
    assert recharge_events == []

    recharges.append(load("nightly_recharge"))
    await move_time(hass, 120)
    assert [event.data["date"] for event in recharge_events] == [NIGHT]


async def test_first_setup_takes_a_baseline_of_nights(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    nights: list[dict[str, Any]],
    recharges: list[dict[str, Any]],
    sleep_events: list[Event],
    recharge_events: list[Event],
) -> None:
    """Nights listed at the first setup are shown but not announced: no flood of old events."""
    nights.extend([load("sleep", date="2026-11-28", sleep_score=70), load("sleep")])
    recharges.append(load("nightly_recharge"))
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sleep_events == []
    assert recharge_events == []
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"
    assert hass.states.get("sensor.alice_runner_nightly_recharge_status").state == "good"
    assert hass.states.get(SLEEP_EVENT).state == "unknown"


async def test_nights_missed_while_down_are_caught_up_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    nights: list[dict[str, Any]],
    recharges: list[dict[str, Any]],
    sleep_events: list[Event],
    recharge_events: list[Event],
) -> None:
    """A night synced while Home Assistant was down is published at the next start, once."""
    entry = setup_integration
    assert await hass.config_entries.async_unload(entry.entry_id)
    nights.append(load("sleep"))
    recharges.append(load("nightly_recharge"))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["date"] for event in sleep_events] == [NIGHT]
    assert [event.data["date"] for event in recharge_events] == [NIGHT]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sleep_events) == 1
    assert len(recharge_events) == 1
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


@pytest.mark.usefixtures("setup_integration")
async def test_older_night_changed_keeps_the_newest_on_the_sensors(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
) -> None:
    """A change to an earlier night is announced, but the sensors keep showing the newest night."""
    await push(hass, post_webhook)
    older = "2026-11-27"
    night_api.get(f"{API}/v3/users/sleep/{older}", json=load("sleep", date=older, sleep_score=50))
    night_api.get(f"{API}/v3/users/nightly-recharge/{older}", status=404, json=NOT_FOUND)
    await push(hass, post_webhook, older)
    assert [event.data["date"] for event in sleep_events] == [NIGHT, older]
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


async def test_upgrade_from_exercise_only_storage_floods_nothing(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    nights: list[dict[str, Any]],
    hass_storage: dict[str, Any],
    sleep_events: list[Event],
    exercise_events: list[Event],
) -> None:
    """After an update from exercises only, the nights already at Polar are a baseline."""
    hass_storage[f"{DOMAIN}.account_{USER_ID}"] = {
        "version": 1,
        "key": f"{DOMAIN}.account_{USER_ID}",
        "data": {"seen": {"EX0": dt_util.utcnow().timestamp()}, "latest": None},
    }
    nights.append(load("sleep"))
    hass.set_state(CoreState.starting)
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_start()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sleep_events == []
    assert exercise_events == []
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


@pytest.fixture
def exercise_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_exercise events."""
    return async_capture_events(hass, EVENT_EXERCISE)
