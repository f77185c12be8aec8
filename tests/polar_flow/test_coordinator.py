"""The account's pipeline: what is published when, by each kind's rule, and what is caught up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE, EVENT_SLEEP

from .conftest import (
    API,
    NIGHT,
    NOT_FOUND,
    USER_ID,
    PostWebhook,
    exercise_json,
    load_fixture,
    make_entry,
    notice_json,
    push,
    replace_route,
    requests_to,
    sign,
    sleep_notice_json,
    webhook_url_sent,
)

SENSOR_PREFIX = "sensor.alice_runner_last_exercise"
EVENT_ENTITY = "event.alice_runner_exercise"
SLEEP_SENSOR = "sensor.alice_runner_sleep"
SLEEP_EVENT = "event.alice_runner_sleep"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the retry backoff so the tests do not sleep."""
    monkeypatch.setattr("custom_components.polar_flow.fetcher.BACKOFF_INITIAL", 0.001)


class BrokenRequest(MockRequest):
    """A relayed request whose body stream fails."""

    @property
    def content(self) -> Any:
        """Return a reader that raises."""

        class _Broken:
            async def read(self, byte_count: int = -1) -> bytes:
                raise RuntimeError("broken body")

        return _Broken()


# Baseline


@pytest.mark.usefixtures("setup_integration")
async def test_first_setup_takes_a_baseline(
    hass: HomeAssistant, events: list[Event], snapshot: SnapshotAssertion
) -> None:
    """The first setup shows the latest listed exercise and fires nothing."""
    assert events == []
    assert hass.states.get(f"{SENSOR_PREFIX}_sport").state == "running"
    assert hass.states.get(f"{SENSOR_PREFIX}_start").state == "2026-11-20T05:00:00+00:00"
    assert hass.states.get(EVENT_ENTITY).state == "unknown"
    states = sorted(
        (state for state in hass.states.async_all() if state.entity_id.startswith("sensor.")),
        key=lambda state: state.entity_id,
    )
    assert [(state.entity_id, state.state, dict(state.attributes)) for state in states] == snapshot


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
    nights.extend([load_fixture("sleep", date="2026-11-28", sleep_score=70), load_fixture("sleep")])
    recharges.append(load_fixture("nightly_recharge"))
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sleep_events == []
    assert recharge_events == []
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"
    assert hass.states.get("sensor.alice_runner_nightly_recharge_status").state == "good"
    assert hass.states.get(SLEEP_EVENT).state == "unknown"


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
    nights.append(load_fixture("sleep"))
    hass.set_state(CoreState.starting)
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_start()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sleep_events == []
    assert exercise_events == []
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


# Publish rules


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
        night_api,
        "GET",
        f"{API}/v3/users/sleep/{NIGHT}",
        json=load_fixture("sleep", sleep_score=64),
    )
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    assert [event.data["sleep_score"] for event in sleep_events] == [82, 64]
    assert len(recharge_events) == 1
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "64"


@pytest.mark.usefixtures("setup_integration")
async def test_night_changed_while_being_fetched_is_fetched_once_more(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
) -> None:
    """A SLEEP notice for a night still being fetched: the night is fetched again afterwards."""
    answers = [load_fixture("sleep"), load_fixture("sleep", sleep_score=64)]
    first_asked, answer = asyncio.Event(), asyncio.Event()

    async def slow_then_changed(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        first_asked.set()
        await answer.wait()
        return AiohttpClientMockResponse(method, url, json=answers.pop(0))

    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", side_effect=slow_then_changed)
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", status=404, json=NOT_FOUND)
    assert (await post_webhook(sleep_notice_json())).status == 200
    await first_asked.wait()
    for _ in range(2):  # the night changes at Polar while its first fetch is under way
        assert (await post_webhook(sleep_notice_json())).status == 200
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["sleep_score"] for event in sleep_events] == [82, 64]
    assert requests_to(polar_api, "GET", f"/v3/users/sleep/{NIGHT}") == 2


async def test_night_published_during_a_listing_is_not_overwritten_by_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    sleep_events: list[Event],
) -> None:
    """A listing that started before a pushed change of the night does not bring it back."""
    listed, answer = asyncio.Event(), asyncio.Event()

    async def slow_old_list(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        listed.set()
        await answer.wait()
        return AiohttpClientMockResponse(method, url, json={"nights": [load_fixture("sleep")]})

    replace_route(polar_api, "get", f"{API}/v3/users/sleep", side_effect=slow_old_list)
    polar_api.get(f"{API}/v3/users/sleep/{NIGHT}", json=load_fixture("sleep", sleep_score=64))
    polar_api.get(f"{API}/v3/users/nightly-recharge/{NIGHT}", status=404, json=NOT_FOUND)
    freezer.tick(timedelta(hours=6, minutes=1))
    async_fire_time_changed(hass)
    await listed.wait()
    assert (await post_webhook(sleep_notice_json())).status == 200
    await hass.async_block_till_done()
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["sleep_score"] for event in sleep_events] == [64]
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "64"


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
    night_api.get(
        f"{API}/v3/users/sleep/{older}", json=load_fixture("sleep", date=older, sleep_score=50)
    )
    night_api.get(f"{API}/v3/users/nightly-recharge/{older}", status=404, json=NOT_FOUND)
    await push(hass, post_webhook, older)
    assert [event.data["date"] for event in sleep_events] == [NIGHT, older]
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


async def test_exercise_changed_at_polar_is_not_published_again(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """An exercise is published once per id: a later listing or notice with new values is not."""
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    exercises.append(exercise_json("EX1", calories=600))
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", json=exercise_json("EX1"))

    await post_webhook(notice_json("EX1"))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 0
    assert [event.data["calories"] for event in events] == [530]
    assert hass.states.get(f"{SENSOR_PREFIX}_calories").state == "530"


@pytest.mark.usefixtures("setup_integration")
async def test_sensors_show_the_item_before_its_event_fires(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """Whoever hears an item's event finds the sensors already showing that item."""
    seen: list[tuple[str, str]] = []

    @callback
    def exercise_heard(event: Event) -> None:
        seen.append((event.event_type, hass.states.get(f"{SENSOR_PREFIX}_start").state))

    @callback
    def sleep_heard(event: Event) -> None:
        seen.append((event.event_type, hass.states.get(f"{SLEEP_SENSOR}_score").state))

    @callback
    def entity_changed(event: Event) -> None:
        if event.data["entity_id"] == EVENT_ENTITY:
            seen.append((EVENT_ENTITY, hass.states.get(f"{SENSOR_PREFIX}_start").state))

    hass.bus.async_listen(EVENT_EXERCISE, exercise_heard)
    hass.bus.async_listen(EVENT_SLEEP, sleep_heard)
    hass.bus.async_listen("state_changed", entity_changed)
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await push(hass, post_webhook)
    assert seen == [
        (EVENT_EXERCISE, "2026-11-27T06:00:00+00:00"),
        (EVENT_ENTITY, "2026-11-27T06:00:00+00:00"),
        (EVENT_SLEEP, "82"),
    ]


# Catch-up


async def test_catch_up_after_restart(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """Exercises uploaded while Home Assistant was down are published once, in order."""
    entry = setup_integration
    assert await hass.config_entries.async_unload(entry.entry_id)
    exercises.append(exercise_json("EX2", start="2026-11-26T18:00:00"))
    exercises.append(exercise_json("EX1", start="2026-11-25T18:00:00"))
    polar_api.mock_calls.clear()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1", "EX2"]
    assert hass.states.get(f"{SENSOR_PREFIX}_start").state == "2026-11-26T16:00:00+00:00"
    # The event entity was listening already: it fired for the exercises caught up.
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX2"

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2


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
    nights.append(load_fixture("sleep"))
    recharges.append(load_fixture("nightly_recharge"))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["date"] for event in sleep_events] == [NIGHT]
    assert [event.data["date"] for event in recharge_events] == [NIGHT]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sleep_events) == 1
    assert len(recharge_events) == 1
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "82"


async def test_reconcile_finds_a_lost_push(
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """An exercise whose notice never came is published by the periodic reconcile."""
    exercises.append(exercise_json("EX3", start="2026-11-27T07:00:00"))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX3"]


async def test_a_large_catch_up_lets_deliveries_be_answered_meanwhile(
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    hass: HomeAssistant,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """A listing of many new exercises publishes them in order, yielding the loop between groups.

    Other work of the loop, such as answering a webhook delivery, runs between two groups.
    """
    missed = [f"EX{n}" for n in range(100, 160)]
    for n, exercise in enumerate(missed):
        exercises.append(exercise_json(exercise, start=f"2026-11-27T0{n // 6}:{n % 6}5:00"))
    turns = 0

    @callback
    def _turn() -> None:
        """Count the event loop's turns while the catch-up runs."""
        nonlocal turns
        turns += 1
        if len(events) < len(missed):
            hass.loop.call_soon(_turn)

    seen_at: list[int] = []
    hass.bus.async_listen(EVENT_EXERCISE, lambda _event: seen_at.append(turns))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    hass.loop.call_soon(_turn)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == missed
    assert len(set(seen_at)) > 1


async def test_catch_up_at_startup_waits_for_home_assistant(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
    hass_storage: dict[str, Any],
) -> None:
    """At boot, missed exercises are published once Home Assistant runs, when automations listen."""
    hass_storage[f"{DOMAIN}.account_{USER_ID}"] = {
        "version": 1,
        "key": f"{DOMAIN}.account_{USER_ID}",
        "data": {"seen": {"EX0": 1.0e12}, "latest": None},
    }
    exercises.append(exercise_json("EX1", start="2026-11-25T18:00:00"))
    hass.set_state(CoreState.starting)
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 0

    await hass.async_start()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    assert hass.states.get(EVENT_ENTITY).attributes["exercise_id"] == "EX1"
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1


async def test_catch_up_when_push_returns(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """Deliveries failing here lose notices: the first good one catches up what they missed."""
    webhook_id = URL(webhook_url_sent(polar_api)).name
    lost = json.dumps(notice_json("EX2")).encode()
    for _ in range(3):
        request = BrokenRequest(
            content=lost,
            mock_source="cloud",
            method="POST",
            headers={"Polar-Webhook-Signature": sign(lost)},
        )
        assert (await webhook.async_handle_webhook(hass, webhook_id, request)).status == 503
    exercises.append(exercise_json("EX2", start="2026-11-27T07:00:00"))

    body = json.dumps(notice_json("EX1")).encode()
    request = MockRequest(
        content=body,
        mock_source="cloud",
        method="POST",
        headers={"Polar-Webhook-Signature": sign(body)},
    )
    assert (await webhook.async_handle_webhook(hass, webhook_id, request)).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sorted(event.data["exercise_id"] for event in events) == ["EX1", "EX2"]
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 0


async def test_listed_item_being_fetched_is_published_once(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """A catch-up that lists an exercise still being fetched leaves it to the fetch."""
    answer = asyncio.Event()

    async def slow(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        await answer.wait()
        return AiohttpClientMockResponse(method, url, json=exercise_json("EX1"))

    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=slow)
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done()
    exercises.append(exercise_json("EX1"))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
    assert events == []

    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1"]


async def test_one_kind_failing_to_list_does_not_stop_the_others(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """Sleep failing to list: the exercises are still caught up and keep their sensors."""
    replace_route(polar_api, "get", f"{API}/v3/users/sleep", status=500, json={"status": 500})
    exercises.append(exercise_json("EX3", start="2026-11-27T07:00:00"))
    freezer.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX3"]
    assert requests_to(polar_api, "GET", "/v3/users/sleep") == 1
    assert hass.states.get(f"{SENSOR_PREFIX}_start").state == "2026-11-27T05:00:00+00:00"
    # Only a kind that has nothing to show becomes unavailable.
    assert hass.states.get(f"{SLEEP_SENSOR}_score").state == "unavailable"
    assert setup_integration.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("setup_integration")
async def test_notice_of_a_kind_not_handled_is_ignored(
    hass: HomeAssistant,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A notice the webhook routes but no kind handles asks nothing of Polar."""
    monkeypatch.setattr(
        "custom_components.polar_flow.webhook.SUBSCRIBED_EVENTS",
        ("EXERCISE", "SLEEP", "FUTURE_DATA"),
    )
    polar_api.mock_calls.clear()
    notice = {**sleep_notice_json(), "event": "FUTURE_DATA"}
    assert (await post_webhook(notice)).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert polar_api.mock_calls == []
