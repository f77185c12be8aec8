"""The account's own history: every item it had, per kind, for two years, across restarts."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN, RECONCILE_INTERVAL
from custom_components.polar_flow.history import INSERT_AT_MOST, History
from custom_components.polar_flow.kinds import DataKind, SleepSummary, Summary

from .conftest import (
    API,
    NIGHT,
    USER_ID,
    PostWebhook,
    exercise_json,
    load_fixture,
    make_entry,
    move_time,
    notice_json,
    push,
    replace_route,
)

HISTORY = f"{DOMAIN}.history_{USER_ID}"

type Change = tuple[str, list[str], list[str]]


def history_of(entry: MockConfigEntry) -> History:
    """Return the history of a loaded entry's account."""
    history: History = entry.runtime_data.coordinator.history
    return history


def keys(history: History, kind: str) -> list[str]:
    """Return the keys of a kind's items, oldest first."""
    return [item.key for item in history.items(kind)]


def listen(history: History) -> list[Change]:
    """Collect what listeners are told: the kind, changed and dropped keys."""
    changes: list[Change] = []

    @callback
    def _listener(kind: DataKind[Any], changed: list[Summary], dropped: list[Summary]) -> None:
        changes.append((kind.key, [i.key for i in changed], [i.key for i in dropped]))

    history.async_add_listener(_listener)
    return changes


def stored_history(**kinds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return a history as an earlier run stored it."""
    return {"version": 1, "key": HISTORY, "data": {"kinds": kinds}}


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up the entry again, as a Home Assistant restart does."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_listed_and_pushed_items_survive_a_restart(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    hass_storage: dict[str, Any],
) -> None:
    """The first listing and each push land in the history, which the Store keeps."""
    history = history_of(setup_integration)
    assert keys(history, "exercise") == ["EX0"]
    assert keys(history, "sleep") == []

    await push(hass, post_webhook)
    assert keys(history, "sleep") == [NIGHT]
    assert keys(history, "nightly_recharge") == [NIGHT]

    await restart(hass, setup_integration)
    stored = hass_storage[HISTORY]["data"]["kinds"]
    assert set(stored["sleep"]) == {NIGHT}
    restored = history_of(setup_integration)
    assert restored is not history
    assert keys(restored, "exercise") == ["EX0"]
    (night,) = restored.items("sleep")
    assert isinstance(night, SleepSummary)
    assert night.sleep_score == 82
    assert restored.counts()["sleep"] == 1


async def test_items_are_in_order_and_ranges(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
) -> None:
    """Items come oldest first; a range holds the orders from its start up to its end."""
    exercises[:] = [
        exercise_json("EX2", start="2026-11-25T07:00:00"),
        exercise_json("EX1", start="2026-11-20T07:00:00"),
        exercise_json("EX3", start="2026-11-27T07:00:00"),
    ]
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    history = history_of(entry)
    assert keys(history, "exercise") == ["EX1", "EX2", "EX3"]
    found = history.items("exercise", start="2026-11-21", end="2026-11-27")
    assert [item.key for item in found] == ["EX2"]
    assert history.items("no_such_kind") == []


async def test_items_stay_in_order_as_they_come(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
) -> None:
    """Pushed out of order, a few at a time or many in one listing: read in order each time."""
    history = history_of(setup_integration)
    assert keys(history, "exercise") == ["EX0"]
    for exercise_id, start in (
        ("EX5", "2026-11-25T07:00:00"),
        ("EX1", "2026-11-21T07:00:00"),
        ("EX9", "2026-11-29T07:00:00"),
    ):
        replace_route(
            polar_api,
            "GET",
            f"{API}/v3/exercises/{exercise_id}",
            json=exercise_json(exercise_id, start=start),
        )
        await post_webhook(notice_json(exercise_id))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert keys(history, "exercise") == ["EX0", "EX1", "EX5", "EX9"]
    found = history.items("exercise", start="2026-11-21", end="2026-11-26")
    assert [item.key for item in found] == ["EX1", "EX5"]

    # A listing brings more than are put in place one by one: the kind is ordered anew.
    many = [
        exercise_json(f"L{n:03}", start=f"2026-11-{1 + n % 28:02}T{n // 28:02}:30:00")
        for n in range(INSERT_AT_MOST + 1)
    ]
    exercises.extend(many)
    await move_time(hass, RECONCILE_INTERVAL.total_seconds())
    listed = keys(history, "exercise")
    assert len(listed) == len(many) + 4
    orders = [item.order for item in history.items("exercise")]
    assert orders == sorted(orders)


async def test_a_changed_night_replaces_its_day(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """A late sync rewrites a night: the history keeps one item per date, the newest content."""
    history = history_of(setup_integration)
    changes = listen(history)
    await push(hass, post_webhook)
    await push(hass, post_webhook)
    assert [change for change in changes if change[0] == "sleep"] == [("sleep", [NIGHT], [])]

    replace_route(
        night_api,
        "GET",
        f"{API}/v3/users/sleep/{NIGHT}",
        json=load_fixture("sleep", sleep_score=64),
    )
    await push(hass, post_webhook)
    (night,) = history.items("sleep")
    assert isinstance(night, SleepSummary)
    assert night.sleep_score == 64
    assert [change for change in changes if change[0] == "sleep"] == [("sleep", [NIGHT], [])] * 2


async def test_physical_information_is_kept_per_day_it_changed(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    physical_info: dict[str, Any] | None,
) -> None:
    """Polar keeps only the current version; the history keeps one per day, for weight over time."""
    entry = make_entry()
    entry.add_to_hass(hass)
    info = load_fixture("physical_info")
    replace_route(
        polar_api,
        "GET",
        f"{API}/v3/users/physical-info",
        json=info | {"modified": "2026-11-20T08:00:00.000Z", "weight": 71.0},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    for modified, weight in (
        ("2026-11-27T08:00:00.000Z", 70.0),
        ("2026-11-27T19:00:00.000Z", 69.5),
    ):
        replace_route(
            polar_api,
            "GET",
            f"{API}/v3/users/physical-info",
            json=info | {"modified": modified, "weight": weight},
        )
        await move_time(hass, timedelta(hours=7).total_seconds())
    history = history_of(entry)
    assert keys(history, "physical_information") == ["current", "current"]
    weights = [getattr(item, "weight", None) for item in history.items("physical_information")]
    assert weights == [71.0, 69.5]


async def test_items_older_than_two_years_are_forgotten(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    night_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
    post_webhook: PostWebhook,
    hass_storage: dict[str, Any],
) -> None:
    """At a reconcile two years on, old items go, listeners learn which, and the Store too."""
    alice = make_entry()
    # A sign-in that lasts: Polar's tokens do not expire unless revoked.
    token = alice.data["token"] | {"expires_at": time.time() + 10 * 366 * 86400}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=alice.title,
        unique_id=alice.unique_id,
        data={**alice.data, "token": token},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await push(hass, post_webhook)
    history = history_of(entry)
    changes = listen(history)
    # AccessLink lists nothing that old any more.
    exercises.clear()

    freezer.move_to(dt_util.parse_datetime(f"{NIGHT}T12:00:00+00:00") + timedelta(days=2 * 366))
    await move_time(hass, 0)
    assert keys(history, "sleep") == [NIGHT]

    freezer.tick(timedelta(days=2))
    await move_time(hass, 0)
    assert keys(history, "exercise") == []
    assert keys(history, "sleep") == []
    assert ("exercise", [], ["EX0"]) in changes
    assert ("sleep", [], [NIGHT]) in changes

    await restart(hass, entry)
    assert "sleep" not in hass_storage[HISTORY]["data"]["kinds"]
    assert history_of(entry).counts()["sleep"] == 0


async def test_unreadable_stored_items_are_skipped(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """A damaged item is left out; the rest of the history and the account work on."""
    good = {"date": "2026-11-28", "sleep_score": 75}
    hass_storage[HISTORY] = stored_history(
        sleep={
            "2026-11-28": good,
            "2026-11-27": {"date": "27.11.2026"},
            "2026-11-26": "not an item",
            "2026-11-25": {"sleep_score": 60},
        },
        nightly_recharge=["not", "a", "mapping"],
    )
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    history = history_of(entry)
    assert keys(history, "sleep") == ["2026-11-28"]
    assert keys(history, "nightly_recharge") == []
    assert keys(history, "exercise") == ["EX0"]


@pytest.mark.parametrize(
    "data",
    [["not", "a", "history"], {"kinds": "none", "coverage": {"activity": "x", "gone": {}}}],
    ids=["not a mapping", "parts not mappings"],
)
async def test_an_unreadable_store_is_an_empty_history(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    hass_storage: dict[str, Any],
    data: Any,
) -> None:
    """A store of another shape starts the history anew."""
    hass_storage[HISTORY] = {"version": 1, "key": HISTORY, "data": data}
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert keys(history_of(entry), "exercise") == ["EX0"]


async def test_removing_the_entry_removes_the_history(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    night_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    hass_storage: dict[str, Any],
) -> None:
    """The health data of a removed account is not left behind."""
    await push(hass, post_webhook)
    await restart(hass, setup_integration)
    assert HISTORY in hass_storage
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert HISTORY not in hass_storage
