"""Backfill: the history as far back as AccessLink serves it, politely, without old events."""

from __future__ import annotations

from datetime import date, timedelta
import itertools
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.accesslink.budget import RESET_MARGIN
from custom_components.polar_flow.backfill import (
    PAUSE,
    RETRY_DELAY,
    START_DELAY,
)
from custom_components.polar_flow.const import (
    DOMAIN,
    EVENT_ACTIVITY,
    EVENT_CARDIO_LOAD,
    EVENT_CONTINUOUS_HEART_RATE,
)
from custom_components.polar_flow.history import History

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    load_fixture,
    make_entry,
    move_time,
    notice_json,
    replace_route,
    requests_to,
)

HISTORY = f"{DOMAIN}.history_{USER_ID}"
# The kinds AccessLink lists deeper than the recent window.
DEEP_KINDS = ("activity", "cardio_load", "continuous_heart_rate")
ACTIVITIES = "/v3/users/activities"
HEART_RATE = "/v3/users/continuous-heart-rate"
CARDIO_PERIOD = "/v3/users/cardio-load/period/days/"
RATE_HEADERS = {"RateLimit-Limit": "520, 5100", "RateLimit-Reset": "300, 3600"}
TOO_MANY = {"status": 429, "errorType": "TooManyRequests", "message": "slow down"}


def today() -> date:
    """Return today in Home Assistant's time zone."""
    return dt_util.now().date()


def day(days_ago: int) -> str:
    """Return the ISO date of a day some days ago."""
    return (today() - timedelta(days=days_ago)).isoformat()


def activity(iso: str) -> dict[str, Any]:
    """Return a day's activity as AccessLink serves it."""
    return load_fixture("activity", start_time=f"{iso}T00:00:00", end_time=f"{iso}T23:59:59")


def heart_rate(iso: str) -> dict[str, Any]:
    """Return a day's continuous heart rate as AccessLink serves it."""
    return load_fixture("continuous_heart_rate", date=iso)


def cardio_load(iso: str) -> dict[str, Any]:
    """Return a day's cardio load as AccessLink serves it."""
    return load_fixture("cardio_load", date=iso)


class DeepAccessLink:
    """AccessLink with a year of activity, 180 days of cardio load and 28 of heart rate."""

    def __init__(self, api: AiohttpClientMocker) -> None:
        """Serve the deep listings on the mocked API."""
        self.api = api
        self.activities = {day(n): activity(day(n)) for n in range(0, 364, 7)}
        self.heart_rates = {day(n): heart_rate(day(n)) for n in range(28)}
        self.loads = {day(n): cardio_load(day(n)) for n in range(0, 180, 3)}
        self.answers: list[tuple[int, Any]] = []
        self.headers: dict[str, str] = {}
        replace_route(api, "GET", f"{API}{ACTIVITIES}", side_effect=self._activities)
        replace_route(api, "GET", f"{API}{HEART_RATE}", side_effect=self._heart_rates)

        async def cardio(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
            days = int(url.path.rsplit("/", 1)[-1])
            loads = [load for iso, load in self.loads.items() if iso > day(days)]
            return self._answer(method, url, loads)

        replace_route(api, "GET", f"{API}{CARDIO_PERIOD}180", side_effect=cardio)
        self._cardio = cardio

    def serve_period(self, days: int) -> None:
        """Serve a cardio load period of another length."""
        self.api.get(f"{API}{CARDIO_PERIOD}{days}", side_effect=self._cardio)

    def _answer(self, method: str, url: URL, body: Any) -> AiohttpClientMockResponse:
        """Answer with the next programmed failure, else the body."""
        if self.answers:
            status, failure = self.answers.pop(0)
            return AiohttpClientMockResponse(
                method, url, status=status, json=failure, headers=self.headers
            )
        return AiohttpClientMockResponse(method, url, json=body, headers=self.headers)

    def _range(self, url: URL, default: int) -> tuple[str, str]:
        """Return the from/to of a request, or the default recent window."""
        return url.query.get("from", day(default)), url.query.get("to", day(0))

    async def _activities(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        first, last = self._range(url, 28)
        found = [doc for iso, doc in self.activities.items() if first <= iso <= last]
        return self._answer(method, url, found)

    async def _heart_rates(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        first, last = self._range(url, 1)
        found = [doc for iso, doc in self.heart_rates.items() if first <= iso <= last]
        return self._answer(method, url, {"heart_rates": found})

    def ranges(self, path: str) -> list[tuple[str, str]]:
        """Return the from/to of the deep listings of a path, in order.

        The recent listing of heart rate is a range too: yesterday and today.
        """
        return [
            (url.query["from"], url.query["to"])
            for method, url, *_ in self.api.mock_calls
            if method == "GET"
            and url.path == path
            and "from" in url.query
            and (url.query["from"], url.query["to"]) != (day(1), day(0))
        ]

    def periods(self) -> list[int]:
        """Return the cardio load periods asked for, in order."""
        return [
            int(url.path.rsplit("/", 1)[-1])
            for method, url, *_ in self.api.mock_calls
            if method == "GET" and url.path.startswith(CARDIO_PERIOD)
        ]

    def deep_requests(self) -> int:
        """Return how many deep listings were asked for."""
        return len(self.ranges(ACTIVITIES)) + len(self.ranges(HEART_RATE)) + len(self.periods())


@pytest.fixture
def deep(polar_api: AiohttpClientMocker) -> DeepAccessLink:
    """Serve AccessLink's deep listings."""
    return DeepAccessLink(polar_api)


def store_coverage(hass_storage: dict[str, Any], coverage: dict[str, dict[str, Any]]) -> None:
    """Give the account a stored history with no items and what each kind's listings covered."""
    hass_storage[HISTORY] = {
        "version": 1,
        "key": HISTORY,
        "data": {"kinds": {}, "coverage": coverage},
    }


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Reload the account, as a restart of Home Assistant does."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def history_of(entry: MockConfigEntry) -> History:
    """Return the history of a loaded entry's account."""
    history: History = entry.runtime_data.coordinator.history
    return history


async def set_up(hass: HomeAssistant, entry: MockConfigEntry | None = None) -> MockConfigEntry:
    """Set up Alice's account (Home Assistant runs: the backfill is scheduled at once)."""
    if entry is None:
        entry = make_entry()
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def run_backfill(hass: HomeAssistant, steps: int = 20) -> None:
    """Let the start delay and the pauses between requests pass."""
    await move_time(hass, START_DELAY)
    for _ in range(steps):
        await move_time(hass, PAUSE)


@pytest.mark.usefixtures("setup_credentials")
async def test_first_setup_fills_the_history_as_far_back_as_accesslink_serves(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    deep: DeepAccessLink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A year of activity, 180 days of cardio load, 28 of heart rate; no old event at all."""
    events = [
        *(async_capture_events(hass, event) for event in (EVENT_ACTIVITY, EVENT_CARDIO_LOAD)),
        async_capture_events(hass, EVENT_CONTINUOUS_HEART_RATE),
    ]
    entry = await set_up(hass)
    history = history_of(entry)
    # The first listing brings the recent window; nothing deeper is asked during setup.
    assert deep.deep_requests() == 0
    assert history.counts()["activity"] == 5

    with caplog.at_level(logging.INFO):
        await run_backfill(hass)

    assert [item.key for item in history.items("activity")] == sorted(deep.activities)
    assert [item.key for item in history.items("cardio_load")] == sorted(deep.loads)
    assert [item.key for item in history.items("continuous_heart_rate")] == sorted(deep.heart_rates)
    # Contiguous ranges of 28 days, oldest first, back 52 weeks.
    ranges = deep.ranges(ACTIVITIES)
    assert len(ranges) == 13
    assert ranges[0][0] == day(363)
    assert ranges[-1][1] == day(0)
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert date.fromisoformat(first) - date.fromisoformat(last) == timedelta(days=1)
    assert deep.periods() == [180]
    assert deep.ranges(HEART_RATE) == [(day(27), day(0))]
    assert all(captured == [] for captured in events)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["account"]["backfill"] == {
        "running": False,
        "failures": 0,
        "kinds": {
            "activity": {"state": "done", "requests": 13, "items": 47},
            "cardio_load": {"state": "done", "requests": 1, "items": 60},
            "continuous_heart_rate": {"state": "done", "requests": 1, "items": 26},
        },
    }
    assert diagnostics["account"]["history"]["activity"] == 52

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert f"Filling in the history of Polar user {USER_ID}: 3 kinds" in messages
    done = [m for m in messages if m.startswith("Filled in")]
    assert done == [f"Filled in the history of Polar user {USER_ID}: 133 items from 15 requests"]

    # Done for good: a restart lists the recent items only.
    await restart(hass, entry)
    await run_backfill(hass)
    assert deep.deep_requests() == 15


@pytest.mark.usefixtures("setup_credentials")
async def test_a_restart_goes_on_where_the_backfill_was(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """Ranges already listed are not asked again after a restart."""
    entry = await set_up(hass)
    await run_backfill(hass, steps=4)
    asked = deep.ranges(ACTIVITIES)
    assert len(asked) == 5

    await restart(hass, entry)
    await run_backfill(hass)
    ranges = deep.ranges(ACTIVITIES)
    assert len(ranges) == 13
    assert len(set(ranges)) == 13
    assert len(history_of(entry).items("activity")) == len(deep.activities)


@pytest.mark.usefixtures("setup_credentials")
async def test_a_429_is_waited_out_by_every_request_of_the_client(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """After a 429 the backfill asks again only after the reset, as do the account's listings."""
    entry = await set_up(hass)
    deep.answers = [(429, TOO_MANY)]
    deep.headers = {"RateLimit-Usage": "520, 600", **RATE_HEADERS}
    await move_time(hass, START_DELAY)
    assert len(deep.ranges(ACTIVITIES)) == 1
    deep.headers = {}
    for _ in range(10):
        await move_time(hass, PAUSE)
    assert len(deep.ranges(ACTIVITIES)) == 1
    # The account's own listing waits too.
    await restart(hass, entry)
    await move_time(hass, 300 + RESET_MARGIN)
    for _ in range(20):
        await move_time(hass, PAUSE)
    assert len(history_of(entry).items("activity")) == len(deep.activities)


@pytest.mark.usefixtures("setup_credentials")
async def test_half_the_short_window_stays_for_pushes(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """Once AccessLink says half the client's short window is used, the backfill waits it out."""
    await set_up(hass)
    deep.headers = {"RateLimit-Usage": "260, 600", **RATE_HEADERS}
    await move_time(hass, START_DELAY)
    assert len(deep.ranges(ACTIVITIES)) == 1
    deep.headers = {}
    for _ in range(10):
        await move_time(hass, PAUSE)
    assert len(deep.ranges(ACTIVITIES)) == 1
    await move_time(hass, 300 + RESET_MARGIN)
    for _ in range(20):
        await move_time(hass, PAUSE)
    assert len(deep.ranges(ACTIVITIES)) == 13


@pytest.mark.usefixtures("setup_credentials")
async def test_pushed_items_go_before_the_backfill(
    hass: HomeAssistant, deep: DeepAccessLink, post_webhook: PostWebhook
) -> None:
    """When the short window is used up, a pushed workout waiting for it goes first."""
    await set_up(hass)
    deep.headers = {"RateLimit-Usage": "520, 600", **RATE_HEADERS}
    await move_time(hass, START_DELAY)
    assert len(deep.ranges(ACTIVITIES)) == 1
    deep.headers = {}
    await move_time(hass, PAUSE)
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(10):
        await move_time(hass, PAUSE)
    assert requests_to(deep.api, "GET", "/v3/exercises/EX1") == 0
    assert len(deep.ranges(ACTIVITIES)) == 1

    before = len(deep.api.mock_calls)
    await move_time(hass, 300 + RESET_MARGIN)
    paths = [url.path for _, url, *_ in deep.api.mock_calls[before:]]
    # Once the window resets the workout goes first, then the backfill's next range.
    assert paths[0] == "/v3/exercises/EX1"
    assert ACTIVITIES in paths


@pytest.mark.usefixtures("setup_credentials")
async def test_a_failure_is_tried_again_later_not_at_once(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """A server error is asked again after minutes, twice as long after each further one."""
    entry = await set_up(hass)
    error = {"status": 500, "errorType": "InternalError", "message": "boom"}
    deep.answers = [(500, error), (500, error)]
    await move_time(hass, START_DELAY)
    for _ in range(10):
        await move_time(hass, PAUSE)
    assert len(deep.ranges(ACTIVITIES)) == 1
    await move_time(hass, RETRY_DELAY)
    assert len(deep.ranges(ACTIVITIES)) == 2
    await move_time(hass, RETRY_DELAY)
    assert len(deep.ranges(ACTIVITIES)) == 2
    await move_time(hass, RETRY_DELAY * 2)
    await run_backfill(hass)
    assert len(history_of(entry).items("activity")) == len(deep.activities)


@pytest.mark.usefixtures("setup_credentials")
async def test_a_revoked_sign_in_stops_the_backfill(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """A 401 stops the backfill and asks the user to sign in again, which sets it up anew."""
    entry = await set_up(hass)
    deep.answers = [(401, {"status": 401, "errorType": "Unauthorized", "message": "no"})]
    await move_time(hass, START_DELAY)
    await move_time(hass, RETRY_DELAY * 10)
    assert deep.deep_requests() == 1
    assert len(history_of(entry).items("activity")) == 5
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("setup_credentials")
async def test_nothing_is_asked_while_the_sign_in_is_refused(
    hass: HomeAssistant, deep: DeepAccessLink
) -> None:
    """Once Polar refused the sign-in elsewhere, the backfill waits for the new sign-in."""
    entry = await set_up(hass)
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    await run_backfill(hass)
    assert deep.deep_requests() == 0


@pytest.mark.usefixtures("setup_credentials")
async def test_a_gap_after_downtime_is_filled(
    hass: HomeAssistant, deep: DeepAccessLink, hass_storage: dict[str, Any]
) -> None:
    """Back after 40 days, each kind is listed from the day before its last listing."""
    away = dt_util.utcnow() - timedelta(days=40)
    done = {"backfilled_at": away.timestamp() - 86400, "listed_at": away.timestamp()}
    store_coverage(hass_storage, dict.fromkeys(DEEP_KINDS, done))
    since = dt_util.as_local(away).date() - timedelta(days=1)
    deep.serve_period((today() - since).days + 1)
    entry = await set_up(hass)
    await run_backfill(hass)
    assert deep.ranges(ACTIVITIES) == [
        (since.isoformat(), (since + timedelta(days=27)).isoformat()),
        ((since + timedelta(days=28)).isoformat(), day(0)),
    ]
    assert deep.periods() == [(today() - since).days + 1]
    # Heart rate reaches 28 days back, whatever the gap.
    assert deep.ranges(HEART_RATE) == [(day(27), day(0))]
    assert len(history_of(entry).items("continuous_heart_rate")) == 28

    # A further restart soon after asks nothing deep.
    await restart(hass, entry)
    await run_backfill(hass)
    assert deep.deep_requests() == 4


@pytest.mark.usefixtures("setup_credentials")
async def test_a_short_pause_needs_no_deep_listing(
    hass: HomeAssistant, deep: DeepAccessLink, hass_storage: dict[str, Any]
) -> None:
    """Back after a few hours, the recent listings cover what was missed."""
    away = dt_util.utcnow() - timedelta(hours=5)
    done = {"backfilled_at": away.timestamp(), "listed_at": away.timestamp()}
    store_coverage(hass_storage, {"activity": done, "cardio_load": done, "x": done})
    await set_up(hass)
    await run_backfill(hass)
    # Only heart rate, never backfilled in this store, is listed deep.
    assert deep.deep_requests() == 1
    assert deep.ranges(HEART_RATE) == [(day(27), day(0))]


@pytest.mark.usefixtures("setup_credentials")
async def test_a_gap_while_running_is_filled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    deep: DeepAccessLink,
    hass_storage: dict[str, Any],
) -> None:
    """Two days without a listing (Home Assistant suspended, say) are listed deep afterwards."""
    now = dt_util.utcnow().timestamp()
    done = {"backfilled_at": now, "listed_at": now}
    store_coverage(hass_storage, dict.fromkeys(DEEP_KINDS, done))
    await set_up(hass)
    await run_backfill(hass)
    assert deep.deep_requests() == 0

    before = today()
    freezer.tick(timedelta(days=2))
    deep.serve_period((today() - before).days + 2)
    await move_time(hass, 0)
    await run_backfill(hass)
    since = (before - timedelta(days=1)).isoformat()
    assert deep.ranges(ACTIVITIES) == [(since, day(0))]
    assert deep.periods() == [(today() - before).days + 2]


@pytest.mark.usefixtures("setup_credentials")
async def test_a_gap_within_a_backfill_under_way_changes_nothing(
    hass: HomeAssistant, deep: DeepAccessLink, hass_storage: dict[str, Any]
) -> None:
    """A deep listing still due from further back covers the gap."""
    away = (dt_util.utcnow() - timedelta(days=40)).timestamp()
    pending = {"backfilled_at": away, "listed_at": away, "missing_from": day(100)}
    done = {"backfilled_at": away, "listed_at": dt_util.utcnow().timestamp()}
    store_coverage(
        hass_storage, {"activity": pending, "cardio_load": done, "continuous_heart_rate": done}
    )
    await set_up(hass)
    await run_backfill(hass)
    assert deep.ranges(ACTIVITIES)[0][0] == day(100)
    assert len(deep.ranges(ACTIVITIES)) == 4
