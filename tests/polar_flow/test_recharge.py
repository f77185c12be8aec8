"""Nightly Recharge: fetched after its night, asked again while late, and how it shows."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import Event, HomeAssistant

from custom_components.polar_flow.recharge import NOT_FOUND_ATTEMPTS, NOT_FOUND_DELAY

from .conftest import (
    API,
    NIGHT,
    NOT_FOUND,
    PostWebhook,
    enable_entities,
    load_fixture,
    move_time,
    push,
    replace_route,
    requests_to,
    sequence,
)

RECHARGE_EVENT = "event.alice_runner_nightly_recharge"
STATUS_SENSOR = "sensor.alice_runner_nightly_recharge_status"


@pytest.mark.usefixtures("setup_integration")
async def test_recharge_that_comes_late_is_fetched_again(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharge_events: list[Event],
) -> None:
    """Nightly Recharge may appear minutes after the sleep: it is asked for again after a while."""
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load_fixture("sleep"))
    polar_api.get(
        f"{API}/v3/users/nightly-recharge/{NIGHT}",
        side_effect=sequence((404, NOT_FOUND), (200, load_fixture("nightly_recharge"))),
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
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load_fixture("sleep"))
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", status=404, json=NOT_FOUND)
    await push(hass, post_webhook)
    for _ in range(NOT_FOUND_ATTEMPTS - 1):
        await move_time(hass, NOT_FOUND_DELAY + 1)
    assert requests_to(polar_api, "GET", f"/v3/users/nightly-recharge/{NIGHT}") == (
        NOT_FOUND_ATTEMPTS
    )
    assert recharge_events == []

    recharges.append(load_fixture("nightly_recharge"))
    await move_time(hass, 120)
    assert [event.data["date"] for event in recharge_events] == [NIGHT]


@pytest.mark.parametrize(
    ("status", "event_type", "state"),
    [
        (1, "very_poor", "very_poor"),
        (6, "very_good", "very_good"),
        (0, "measured", "unknown"),
        (7, "measured", "unknown"),
        (None, "measured", "unknown"),
    ],
)
@pytest.mark.usefixtures("setup_integration")
async def test_status_outside_the_scale_is_measured(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharge_events: list[Event],
    status: int | None,
    event_type: str,
    state: str,
) -> None:
    """A recharge with no status on Polar's 1-6 scale fires as 'measured'; its sensor is unknown."""
    recharge = load_fixture("nightly_recharge", nightly_recharge_status=status)
    replace_route(night_api, "get", f"{API}/v3/users/nightly-recharge/{NIGHT}", json=recharge)
    await push(hass, post_webhook)
    assert [event.data["status"] for event in recharge_events] == [
        None if event_type == "measured" else event_type
    ]
    assert hass.states.get(RECHARGE_EVENT).attributes["event_type"] == event_type
    assert hass.states.get(STATUS_SENSOR).state == state
    assert hass.states.get("sensor.alice_runner_ans_charge").state == "3.2"


async def test_recharge_with_only_a_date(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharge_events: list[Event],
) -> None:
    """AccessLink may give nothing but the date: the event says None, the sensors unknown."""
    sensors = [
        STATUS_SENSOR,
        "sensor.alice_runner_ans_charge",
        "sensor.alice_runner_heart_rate_variability",
        "sensor.alice_runner_nightly_heart_rate",
        "sensor.alice_runner_breathing_rate",
    ]
    await enable_entities(hass, setup_integration, *sensors[3:])
    replace_route(
        night_api, "get", f"{API}/v3/users/nightly-recharge/{NIGHT}", json={"date": NIGHT}
    )
    await push(hass, post_webhook)
    (event,) = recharge_events
    assert {key: value for key, value in event.data.items() if value is not None} == {
        "device_id": event.data["device_id"],
        "config_entry_id": setup_integration.entry_id,
        "user_id": event.data["user_id"],
        "date": NIGHT,
    }
    assert {hass.states.get(sensor).state for sensor in sensors} == {"unknown"}


@pytest.mark.usefixtures("setup_integration")
async def test_changed_night_while_its_recharge_is_late(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    recharge_events: list[Event],
) -> None:
    """A night changing while its recharge waits to be asked again asks for the recharge once."""
    polar_api.get(
        f"{API}/v3/users/sleep/{NIGHT}",
        side_effect=sequence(
            (200, load_fixture("sleep")), (200, load_fixture("sleep", sleep_score=64))
        ),
    )
    polar_api.get(
        f"{API}/v3/users/nightly-recharge/{NIGHT}",
        side_effect=sequence((404, NOT_FOUND), (200, load_fixture("nightly_recharge"))),
    )
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    assert requests_to(polar_api, "GET", f"/v3/users/sleep/{NIGHT}") == 2
    assert requests_to(polar_api, "GET", f"/v3/users/nightly-recharge/{NIGHT}") == 1

    await move_time(hass, NOT_FOUND_DELAY + 1)
    assert requests_to(polar_api, "GET", f"/v3/users/nightly-recharge/{NIGHT}") == 2
    assert [event.data["status"] for event in recharge_events] == ["good"]
