"""Long-term statistics: each account's daily history as the recorder's external statistics."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import re
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceGenerator,
    WebSocketGenerator,
)
from yarl import URL

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    async_list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import RECONCILE_INTERVAL
from custom_components.polar_flow.statistics import WRITE_COOLDOWN

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    activity_notice_json,
    exercise_json,
    load_fixture,
    move_time,
    push_day,
)

DAYS = ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"]
STEPS = [1000, 2000, 3000, 4000, 5000]
ACTIVITY_BY_DATE = re.compile(rf"^{re.escape(API)}/v3/users/activities/[0-9-]{{10}}$")
ALL = {
    "active_calories",
    "ans_charge",
    "cardio_load",
    "exercise_distance",
    "exercise_time",
    "heart_rate_variability",
    "resting_heart_rate",
    "sleep_score",
    "sleep_time",
    "steps",
    "weight",
}


def statistic_id(key: str) -> str:
    """Return the id of one of Alice's statistics."""
    return f"polar_flow:{key}_{USER_ID}"


def day_json(day: str, steps: int) -> dict[str, Any]:
    """Return a day of activity as AccessLink serves it."""
    return load_fixture(
        "activity", start_time=f"{day}T00:00:00", steps=steps, active_calories=steps // 10
    )


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """Prepare the recorder's database before Home Assistant starts."""


@pytest.fixture
def activities() -> list[dict[str, Any]]:
    """Return five days of activity, one thousand steps more each day."""
    return [day_json(day, steps) for day, steps in zip(DAYS, STEPS, strict=True)]


@pytest.fixture
def activity_api(
    polar_api: AiohttpClientMocker, activities: list[dict[str, Any]]
) -> AiohttpClientMocker:
    """Serve each listed day of activity by its date, as it is when asked."""

    async def get_day(method: str, url: URL, data: Any) -> Any:
        day = url.path.rsplit("/", 1)[-1]
        (item,) = [item for item in activities if item["start_time"].startswith(day)]
        return AiohttpClientMockResponse(method, url, json=item)

    polar_api.get(ACTIVITY_BY_DATE, side_effect=get_day)
    return polar_api


def correct(activities: list[dict[str, Any]], day: str, steps: int) -> None:
    """Change the steps Polar has for a day, as a late sync does."""
    activities[:] = [
        day_json(day, steps) if item["start_time"].startswith(day) else item for item in activities
    ]


def local_day(start: float) -> str:
    """Return the local date a row starts on."""
    return dt_util.as_local(dt_util.utc_from_timestamp(start)).date().isoformat()


async def recorded(hass: HomeAssistant) -> None:
    """Let the statistics be written and the recorder commit them."""
    # Changes within the cooldown after a write are written together at its end.
    await move_time(hass, WRITE_COOLDOWN)
    await async_wait_recording_done(hass)


async def read(hass: HomeAssistant, key: str, column: str) -> dict[str, float]:
    """Return one column of a statistic's hourly rows by local day, as the recorder has them."""
    await recorded(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=dt_util.UTC),
        None,
        {statistic_id(key)},
        "hour",
        None,
        {column},
    )
    return {local_day(row["start"]): row[column] for row in rows.get(statistic_id(key), [])}


async def row_starts(hass: HomeAssistant, key: str) -> list[datetime]:
    """Return when a statistic's rows start."""
    await recorded(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=dt_util.UTC),
        None,
        {statistic_id(key)},
        "hour",
        None,
        set(),
    )
    return [dt_util.utc_from_timestamp(row["start"]) for row in rows[statistic_id(key)]]


async def polar_statistics(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    """Return the metadata of every Polar Flow statistic by its key."""
    await recorded(hass)
    return {
        item["statistic_id"].removeprefix("polar_flow:").removesuffix(f"_{USER_ID}"): item
        for item in await async_list_statistic_ids(hass)
        if item["source"] == "polar_flow"
    }


@pytest.fixture
def nights() -> list[dict[str, Any]]:
    """Return two nights."""
    return [
        load_fixture("sleep", date="2026-11-28", sleep_score=76),
        load_fixture("sleep"),
    ]


@pytest.fixture
def recharges() -> list[dict[str, Any]]:
    """Return two nights' recovery."""
    return [
        load_fixture(
            "nightly_recharge",
            date="2026-11-28",
            heart_rate_avg=57,
            heart_rate_variability_avg=41,
            ans_charge=-1.5,
        ),
        load_fixture("nightly_recharge"),
    ]


@pytest.fixture
def cardio_loads() -> list[dict[str, Any]]:
    """Return two days of cardio load."""
    return [
        load_fixture("cardio_load"),
        load_fixture("cardio_load", date="2026-11-28", cardio_load=50.0),
    ]


@pytest.fixture
def physical_info() -> dict[str, Any]:
    """Return the physical information, changed on 26 November."""
    return load_fixture("physical_info")


@pytest.fixture
def exercises() -> list[dict[str, Any]]:
    """Return two exercises on one day and one without a distance two days later."""
    no_distance = exercise_json("EX6", start="2026-11-22T17:00:00", duration="PT1H")
    del no_distance["distance"]
    return [
        exercise_json("EX0", start="2026-11-20T07:00:00"),
        exercise_json("EX5", start="2026-11-20T18:00:00", duration="PT30M", distance=5000.0),
        no_distance,
    ]


@pytest.fixture
async def setup_integration(
    recorder_mock: Recorder, activity_api: AiohttpClientMocker, setup_integration: MockConfigEntry
) -> MockConfigEntry:
    """Set up Alice's account with the recorder running, serving each day of activity."""
    return setup_integration


async def test_first_setup_imports_the_baseline(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Every metric of the first listing is a statistic: one row per local day."""
    statistics = await polar_statistics(hass)
    assert {
        key: (
            item["name"],
            item["has_sum"],
            item["mean_type"],
            item["unit_class"],
            item["statistics_unit_of_measurement"],
        )
        for key, item in statistics.items()
    } == {
        "steps": ("Alice Runner steps", True, 0, None, "steps"),
        "active_calories": ("Alice Runner active calories", True, 0, "energy", "kcal"),
        "sleep_time": ("Alice Runner sleep time", False, 1, "duration", "h"),
        "sleep_score": ("Alice Runner sleep score", False, 1, None, None),
        "heart_rate_variability": ("Alice Runner HRV", False, 1, None, "ms"),
        "ans_charge": ("Alice Runner ANS charge", False, 1, None, None),
        "resting_heart_rate": ("Alice Runner resting heart rate", False, 1, None, "bpm"),
        "cardio_load": ("Alice Runner cardio load", True, 0, None, None),
        "weight": ("Alice Runner weight", False, 1, "mass", "kg"),
        "exercise_time": ("Alice Runner exercise time", True, 0, "duration", "min"),
        "exercise_distance": ("Alice Runner exercise distance", True, 0, "distance", "km"),
    }
    assert await read(hass, "steps", "state") == dict(zip(DAYS, STEPS, strict=True))
    assert await read(hass, "steps", "sum") == dict(
        zip(DAYS, [1000, 3000, 6000, 10000, 15000], strict=True)
    )
    assert await read(hass, "active_calories", "sum") == dict(
        zip(DAYS, [100, 300, 600, 1000, 1500], strict=True)
    )
    assert await read(hass, "sleep_score", "mean") == {"2026-11-28": 76, "2026-11-29": 82}
    assert await read(hass, "sleep_time", "mean") == {
        "2026-11-28": pytest.approx(26520 / 3600),
        "2026-11-29": pytest.approx(26520 / 3600),
    }
    assert await read(hass, "heart_rate_variability", "mean") == {
        "2026-11-28": 41,
        "2026-11-29": 48,
    }
    assert await read(hass, "ans_charge", "min") == {"2026-11-28": -1.5, "2026-11-29": 3.2}
    assert await read(hass, "resting_heart_rate", "max") == {"2026-11-28": 57, "2026-11-29": 54}
    assert await read(hass, "cardio_load", "sum") == {
        "2026-11-27": pytest.approx(96.4),
        "2026-11-28": pytest.approx(146.4),
    }
    # Changed at 18:02 UTC, which is 10:02 in the Pacific time Home Assistant runs in.
    assert await read(hass, "weight", "mean") == {"2026-11-26": 72.4}
    # 42 min 10 s and 30 min on the 20th, one hour without a distance on the 22nd.
    assert await read(hass, "exercise_time", "sum") == {
        "2026-11-20": pytest.approx(72 + 1 / 6),
        "2026-11-22": pytest.approx(132 + 1 / 6),
    }
    assert await read(hass, "exercise_distance", "sum") == {
        "2026-11-20": pytest.approx(13.1235),
        "2026-11-22": pytest.approx(13.1235),
    }


async def test_rows_start_at_local_midnight(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Each day's row starts when the day starts where Home Assistant is."""
    assert await row_starts(hass, "steps") == [
        dt_util.start_of_local_day(date.fromisoformat(day)) for day in DAYS
    ]


async def test_daily_change_in_the_energy_style_view(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The statistics graph's daily change of a sum is the day's value."""
    await recorded(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "recorder/statistics_during_period",
            "start_time": "2026-11-26T00:00:00-08:00",
            "end_time": "2026-11-30T00:00:00-08:00",
            "statistic_ids": [statistic_id("steps")],
            "period": "day",
            "types": ["change"],
        }
    )
    response = await client.receive_json()
    assert response["success"]
    assert [row["change"] for row in response["result"][statistic_id("steps")]] == STEPS[1:]


async def test_a_pushed_new_day_adds_a_row(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
) -> None:
    """A new day continues the sum from the day before."""
    activities.append(day_json("2026-11-30", 6000))
    await push_day(hass, post_webhook, "2026-11-30")

    assert await read(hass, "steps", "sum") == dict(
        zip([*DAYS, "2026-11-30"], [1000, 3000, 6000, 10000, 15000, 21000], strict=True)
    )


async def test_a_corrected_day_rewrites_it_and_the_sums_after_it(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
) -> None:
    """A late sync of a past day changes that day's row; every later sum moves by as much."""
    correct(activities, "2026-11-27", 3500)
    await push_day(hass, post_webhook, "2026-11-27")

    assert await read(hass, "steps", "state") == dict(
        zip(DAYS, [1000, 2000, 3500, 4000, 5000], strict=True)
    )
    assert await read(hass, "steps", "sum") == dict(
        zip(DAYS, [1000, 3000, 6500, 10500, 15500], strict=True)
    )


async def test_two_corrections_in_a_row(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
) -> None:
    """Two corrections before the recorder wrote the first one: neither counts twice."""
    correct(activities, "2026-11-28", 4200)
    correct(activities, "2026-11-26", 1900)
    for day in ("2026-11-28", "2026-11-26"):
        assert (await post_webhook(activity_notice_json(day))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await read(hass, "steps", "sum") == dict(
        zip(DAYS, [1000, 2900, 5900, 10100, 15100], strict=True)
    )


def watch_writes() -> Any:
    """Record every write of statistics, letting it through."""
    return patch(
        "custom_components.polar_flow.statistics.async_add_external_statistics",
        wraps=async_add_external_statistics,
    )


def steps_written(add: Any) -> list[list[float]]:
    """Return the states of each write of the steps statistic."""
    return [
        [row["state"] for row in call.args[2]]
        for call in add.mock_calls
        if call.args[1]["statistic_id"] == statistic_id("steps")
    ]


async def test_a_restart_writes_only_the_newest_rows(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
) -> None:
    """A restart rewrites at most each statistic's last row, and the sums go on from there."""
    await recorded(hass)
    with watch_writes() as add:
        assert await hass.config_entries.async_reload(setup_integration.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await recorded(hass)
    written = {call.args[1]["statistic_id"]: len(list(call.args[2])) for call in add.mock_calls}
    assert written == {statistic_id(key): 1 for key in ALL}

    correct(activities, "2026-11-25", 1500)
    activities.append(day_json("2026-11-30", 6000))
    await push_day(hass, post_webhook, "2026-11-25")
    await push_day(hass, post_webhook, "2026-11-30")
    assert await read(hass, "steps", "sum") == dict(
        zip([*DAYS, "2026-11-30"], [1500, 3500, 6500, 10500, 15500, 21500], strict=True)
    )


def days_ago(days: int) -> str:
    """Return the date some days before today."""
    return (dt_util.now().date() - timedelta(days=days)).isoformat()


async def test_days_the_history_forgets_stay_in_the_sums(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
    hass_storage: dict[str, Any],
) -> None:
    """Days older than two years leave the history, not the statistics nor the later sums."""
    old = [days_ago(800), days_ago(799)]
    activities[:0] = [day_json(old[0], 100), day_json(old[1], 200)]
    # The history forgets them at the next reconcile; the listing brings them back each time.
    await move_time(hass, RECONCILE_INTERVAL.total_seconds())
    await move_time(hass, RECONCILE_INTERVAL.total_seconds())

    correct(activities, "2026-11-27", 3500)
    await push_day(hass, post_webhook, "2026-11-27")
    assert await read(hass, "steps", "sum") == dict(
        zip([*old, *DAYS], [100, 300, 1300, 3300, 6800, 10800, 15800], strict=True)
    )

    # After a restart the sums still count the forgotten days.
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert f"polar_flow.statistics_{USER_ID}" in hass_storage
    activities.append(day_json("2026-11-30", 6000))
    await push_day(hass, post_webhook, "2026-11-30")
    assert (await read(hass, "steps", "sum"))["2026-11-30"] == 21800

    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert f"polar_flow.statistics_{USER_ID}" not in hass_storage


@pytest.mark.parametrize("activities", [[]])
@pytest.mark.parametrize("nights", [[]])
@pytest.mark.parametrize("recharges", [[]])
@pytest.mark.parametrize("cardio_loads", [[]])
@pytest.mark.parametrize("physical_info", [None])
@pytest.mark.parametrize("exercises", [[exercise_json("EX0", start="2026-11-20T07:00:00")]])
async def test_only_the_kinds_the_account_has(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """An account with exercises only has only the exercise statistics."""
    assert set(await polar_statistics(hass)) == {"exercise_time", "exercise_distance"}


async def test_removal_clears_the_statistics(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Removing the account deletes its statistics: health data goes with it."""
    assert set(await polar_statistics(hass)) == ALL

    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await polar_statistics(hass) == {}


async def test_rows_in_a_half_hour_time_zone_start_on_the_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_credentials: None,
    activity_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """Where midnight is half past a UTC hour, a day's row starts at the next hour, that day."""
    await hass.config.async_set_time_zone("Asia/Kolkata")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    steps = await read(hass, "steps", "state")
    assert steps == dict(zip(DAYS, STEPS, strict=True))
    starts = [dt_util.as_local(day_start) for day_start in await row_starts(hass, "steps")]
    assert [(start.date().isoformat(), start.hour, start.minute) for start in starts] == [
        (day, 0, 30) for day in DAYS
    ]


async def test_weight_by_the_day_it_changed(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    physical_info: dict[str, Any],
) -> None:
    """A new weight is the mean of its day; a change without a weight adds no row."""
    notice = {
        "event": "PHYSICAL_INFORMATION",
        "user_id": USER_ID,
        "timestamp": "2026-11-28T18:02:30Z",
        "url": f"{API}/v3/users/physical-info",
    }
    for changes in (
        {"weight": 71.8, "modified": "2026-11-28T18:02:11Z"},
        {"weight": None, "modified": "2026-11-29T18:02:11Z"},
    ):
        physical_info.update(changes)
        assert (await post_webhook(notice)).status == 200
        await hass.async_block_till_done(wait_background_tasks=True)

    assert await read(hass, "weight", "mean") == {"2026-11-26": 72.4, "2026-11-28": 71.8}


async def test_a_damaged_stored_start_is_ignored(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_credentials: None,
    activity_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged anchor is left out with a warning; the account still loads and its sums count."""
    hass_storage[f"polar_flow.statistics_{USER_ID}"] = {
        "version": 1,
        "key": f"polar_flow.statistics_{USER_ID}",
        "data": {"anchors": {"steps": {"day": "not a day", "sum": 1}, "cardio_load": {}}},
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert "Ignored the damaged stored start of the steps statistic" in caplog.text
    assert await read(hass, "steps", "sum") == dict(
        zip(DAYS, [1000, 3000, 6000, 10000, 15000], strict=True)
    )


async def test_a_burst_is_written_once_per_cooldown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    activities: list[dict[str, Any]],
) -> None:
    """Changes pushed while a write cools down are gathered into one write at its end."""
    await recorded(hass)
    with watch_writes() as add:
        for day, steps in (("2026-11-27", 3100), ("2026-11-25", 1100), ("2026-11-28", 4100)):
            correct(activities, day, steps)
            await push_day(hass, post_webhook, day)
        assert steps_written(add) == []
        await recorded(hass)
    # One write from the earliest changed day on.
    assert steps_written(add) == [[1100, 2000, 3100, 4100, 5000]]
    assert await read(hass, "steps", "sum") == dict(
        zip(DAYS, [1100, 3100, 6200, 10300, 15300], strict=True)
    )
