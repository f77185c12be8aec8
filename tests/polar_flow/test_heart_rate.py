"""Continuous heart rate: pushed or caught up, and how a day shows in events and sensors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import RECONCILE_INTERVAL

from .conftest import (
    API,
    NIGHT,
    PostWebhook,
    enable_entities,
    heart_rate_notice_json,
    load_fixture,
    move_time,
    replace_route,
)

SENSOR = "sensor.alice_runner"
EVENT_ENTITY = "event.alice_runner_continuous_heart_rate"
PATH = "/v3/users/continuous-heart-rate"


async def push_day(hass: HomeAssistant, post_webhook: PostWebhook) -> None:
    """Push a CONTINUOUS_HEART_RATE notice and let its work finish."""
    assert (await post_webhook(heart_rate_notice_json())).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


def local(hour: int, minute: int, second: int) -> str:
    """Return a time of the fixture's day in Home Assistant's time zone, as a state shows it."""
    when = datetime.fromisoformat(f"{NIGHT}T{hour:02d}:{minute:02d}:{second:02d}").replace(
        tzinfo=dt_util.get_default_time_zone()
    )
    return dt_util.as_utc(when).isoformat()


@pytest.fixture
def heart_rate_events(hass: HomeAssistant) -> list[Event]:
    """Collect polar_flow_continuous_heart_rate events."""
    return async_capture_events(hass, "polar_flow_continuous_heart_rate")


@pytest.fixture
def day_api(polar_api: AiohttpClientMocker) -> AiohttpClientMocker:
    """Serve the day's continuous heart rate by date."""
    polar_api.get(f"{API}{PATH}/{NIGHT}", json=load_fixture("continuous_heart_rate"))
    return polar_api


@pytest.mark.usefixtures("setup_integration", "day_api")
async def test_pushed_day_publishes_once_and_shows(
    hass: HomeAssistant, post_webhook: PostWebhook, heart_rate_events: list[Event]
) -> None:
    """The latest sample is the heart rate, its time in Home Assistant's zone; no repeats."""
    await push_day(hass, post_webhook)
    await push_day(hass, post_webhook)
    (event,) = heart_rate_events
    assert {key: event.data[key] for key in ("date", "heart_rate", "minimum", "maximum")} == {
        "date": NIGHT,
        "heart_rate": 72,
        "minimum": 52,
        "maximum": 121,
    }
    assert event.data["average"] == 77
    assert dt_util.parse_datetime(event.data["time"]) == dt_util.parse_datetime(local(21, 47, 8))
    assert hass.states.get(f"{SENSOR}_heart_rate").state == "72"
    assert hass.states.get(f"{SENSOR}_heart_rate").attributes["unit_of_measurement"] == "bpm"
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "heart_rate"


async def test_secondary_heart_rate_sensors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    heart_rate_events: list[Event],
) -> None:
    """The time and the day's range are there once enabled; a changed day publishes again."""
    secondary = {
        f"{SENSOR}_heart_rate_measured": local(21, 47, 8),
        f"{SENSOR}_lowest_heart_rate_today": "52",
        f"{SENSOR}_average_heart_rate_today": "77",
        f"{SENSOR}_highest_heart_rate_today": "121",
    }
    assert all(hass.states.get(entity_id) is None for entity_id in secondary)
    await enable_entities(hass, setup_integration, *secondary)
    await push_day(hass, post_webhook)
    assert {entity_id: hass.states.get(entity_id).state for entity_id in secondary} == secondary

    later = load_fixture("continuous_heart_rate")
    later["heart_rate_samples"].append({"heart_rate": 66, "sample_time": "21:52:08"})
    replace_route(day_api, "get", f"{API}{PATH}/{NIGHT}", json=later)
    await push_day(hass, post_webhook)
    assert [event.data["heart_rate"] for event in heart_rate_events] == [72, 66]
    assert hass.states.get(f"{SENSOR}_heart_rate_measured").state == local(21, 52, 8)


async def test_catch_up_lists_yesterday_and_today(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    heart_rates: list[dict[str, Any]],
    heart_rate_events: list[Event],
) -> None:
    """Notices of this kind have gone missing: the reconcile lists two days and publishes."""
    heart_rates.append(load_fixture("continuous_heart_rate"))
    polar_api.mock_calls.clear()
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    await move_time(hass, RECONCILE_INTERVAL.total_seconds() + 1)
    assert [event.data["date"] for event in heart_rate_events] == [NIGHT]
    assert hass.states.get(f"{SENSOR}_heart_rate").state == "72"
    urls = [URL(str(url)) for _, url, *_ in polar_api.mock_calls]
    queries = [url.query for url in urls if url.path == PATH]
    today = dt_util.now().date()
    assert queries
    assert all(
        query == {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
        for query in queries
    )


@pytest.mark.usefixtures("setup_integration")
async def test_day_without_samples_still_arrives(
    hass: HomeAssistant,
    day_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    heart_rate_events: list[Event],
) -> None:
    """A day with no usable sample arrives with no values; the sensors show unknown."""
    body = {"date": NIGHT, "heart_rate_samples": [{"heart_rate": 0, "sample_time": "x"}]}
    replace_route(day_api, "get", f"{API}{PATH}/{NIGHT}", json=body)
    await push_day(hass, post_webhook)
    (event,) = heart_rate_events
    assert (event.data["heart_rate"], event.data["time"]) == (None, None)
    assert hass.states.get(f"{SENSOR}_heart_rate").state == "unknown"
