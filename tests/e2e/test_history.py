"""An account's history in Home Assistant's own views, against a real hass and the simulator.

Alice's watch recorded two weeks before she signs in: for each past day the simulator's clock is
set to that evening and a whole day is simulated (a night, activity, a workout, …), with no
webhook to push to. Signing in lists AccessLink's recent days into the history: the recorder's
statistics, asked over the websocket API as a statistics-graph card asks them, have each day's
steps and sleep time; the training calendar has each day's workout and one finished after the
sign-in; `polar_flow.download_exercise` writes a FIT file an independent reader parses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from scripts.harness import (
    DOMAIN,
    EVENT_EXERCISE,
    HomeAssistantApi,
    SimControl,
    next_event,
    wait_until,
)
from tests.fit import FIT_FILE_ID, FIT_SESSION, read_fit

from .conftest import ALICE, CLIENT_ID, Stack, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

DAYS = 14
# When each past day is recorded: its evening, after the day's workout (UTC, as hass here).
EVENING = time(20, 0)
EXPORTS = "exercise-files"
STEPS, SLEEP_TIME = "steps", "sleep_time"


@pytest.fixture(scope="module")
def configure_hass() -> Callable[[Path], None]:
    """Allow Home Assistant to write exercise files into a folder next to its configuration."""

    def _configure(config_dir: Path) -> None:
        config = config_dir / "configuration.yaml"
        folder = config_dir.parent / EXPORTS
        folder.mkdir()  # Home Assistant accepts only existing folders there
        allow = f"homeassistant:\n  allowlist_external_dirs:\n    - {folder}\n"
        config.write_text(config.read_text(encoding="utf-8").replace("homeassistant:\n", allow, 1))

    return _configure


async def test_history_in_statistics_calendar_and_files(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """Two weeks recorded before sign-in: graphed, in the calendar; a FIT file downloads."""
    today = await sim.today()
    days = [today - timedelta(days=DAYS - i) for i in range(DAYS)]
    recorded = await _record_past_days(sim, days)

    alice = await signed_in(stack, api, ALICE)
    statistic_ids = [f"{DOMAIN}:{key}_{ALICE}" for key in (STEPS, SLEEP_TIME)]

    async def graphed() -> dict[str, list[dict[str, Any]]] | None:
        async with await api.websocket() as ws:
            result: dict[str, list[dict[str, Any]]] = await ws.command(
                "recorder/statistics_during_period",
                start_time=_midnight(today - timedelta(days=30)).isoformat(),
                end_time=datetime.now(UTC).isoformat(),
                statistic_ids=statistic_ids,
                period="day",
                types=["change", "mean"],
            )
        return result if all(len(result.get(i, [])) >= DAYS for i in statistic_ids) else None

    rows = await wait_until(graphed, f"{DAYS} days of steps and sleep time", 45, interval=1)
    steps, sleep_time = (rows[i] for i in statistic_ids)
    assert [_day(row) for row in steps] == days
    assert [_day(row) for row in sleep_time] == days
    assert [row["change"] for row in steps] == [
        recorded[day]["activity"][-1]["steps"] for day in days
    ]
    assert [row["mean"] for row in sleep_time] == pytest.approx(
        [_hours_asleep(recorded[day]["sleep"]) for day in days]
    )

    # A workout finished now is pushed, and joins the past ones in the training calendar.
    await wait_until(lambda: _webhook_pinged(sim), "the webhook at the simulator", 20)
    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        finished = await sim.workout(ALICE, sport="RUNNING", duration=2838, distance=8420)
        await next_event(events, 30, "the pushed workout's polar_flow_exercise event")
        entities = await ws.command("config/entity_registry/list")
    training = next(
        e["entity_id"]
        for e in entities
        if e["platform"] == DOMAIN
        and e["unique_id"] == f"{ALICE}_training"
        and e["entity_id"].startswith("calendar.")
    )
    answer = await api.post(
        "/api/services/calendar/get_events?return_response",
        {
            "entity_id": training,
            "start_date_time": _midnight(days[0]).isoformat(),
            "end_date_time": _midnight(today + timedelta(days=1)).isoformat(),
        },
    )
    calendar = answer["service_response"][training]["events"]
    workouts = [recorded[day]["exercise"] for day in days] + [finished["exercise"]]
    assert [datetime.fromisoformat(event["start"]) for event in calendar] == [
        _start(workout) for workout in workouts
    ]
    assert calendar[-1]["summary"] == "Running · 8.4 km · 47 min"

    # The oldest workout's FIT file, into a folder allowlist_external_dirs names.
    folder = stack.root / EXPORTS
    oldest = workouts[0]["id"]
    answer = await api.post(
        "/api/services/polar_flow/download_exercise?return_response",
        {"config_entry_id": alice.entry_id, "exercise_id": oldest, "folder": str(folder)},
    )
    path = Path(answer["service_response"]["path"])
    assert path.parent == folder
    assert path.name.endswith(f"_{oldest}.fit")
    fit = read_fit(await asyncio.to_thread(path.read_bytes))  # headers, records, CRCs
    assert {FIT_FILE_ID, FIT_SESSION} <= set(fit.messages), fit


async def _record_past_days(sim: SimControl, days: list[date]) -> dict[date, dict[str, Any]]:
    """Record a whole day for each date, that evening, after a registration before them all.

    AccessLink shows a client only data recorded after the user registered to it; nothing is
    pushed, as no webhook exists yet. The simulator's clock is back at real time afterwards.
    """
    await _set_clock(sim, datetime.combine(days[0], time(0, 0), UTC))
    await sim.call("POST", f"/users/{ALICE}/register", {"client_id": CLIENT_ID})
    recorded: dict[date, dict[str, Any]] = {}
    try:
        for day in days:
            await _set_clock(sim, datetime.combine(day, EVENING, UTC))
            recorded[day] = await sim.simulated_day(ALICE, day.isoformat())
    finally:
        offset = (await sim.call("GET", "/clock"))["offset"]
        await sim.call("POST", "/clock", {"advance": -offset})
    assert not await sim.deliveries(kind="push"), "nothing to push to before the sign-in"
    return recorded


async def _webhook_pinged(sim: SimControl) -> bool:
    """Return whether the client's webhook exists and answered a PING."""
    return bool((await sim.client(CLIENT_ID)).get("webhook") and await sim.deliveries(kind="ping"))


async def _set_clock(sim: SimControl, when: datetime) -> None:
    """Move the simulator's clock to a moment."""
    await sim.call("POST", "/clock", {"set": when.isoformat()})


def _midnight(day: date) -> datetime:
    """Return the start of a day in UTC, Home Assistant's time zone here."""
    return datetime.combine(day, time(0, 0), UTC)


def _day(row: dict[str, Any]) -> date:
    """Return the UTC date a statistics row starts on (its start is in milliseconds)."""
    return datetime.fromtimestamp(row["start"] / 1000, UTC).date()


def _hours_asleep(night: dict[str, Any]) -> float:
    """Return the hours asleep of a simulator night, as the sleep time statistic counts them."""
    stages = ("light_sleep", "deep_sleep", "rem_sleep", "unrecognized_sleep_stage")
    return sum(night[stage] for stage in stages) / 3600


def _start(exercise: dict[str, Any]) -> datetime:
    """Return when a simulator exercise started, as an aware time."""
    local = datetime.fromisoformat(exercise["start_time"])
    return (local - timedelta(minutes=exercise["start_time_utc_offset"])).replace(tzinfo=UTC)
