"""What an account published, kept across restarts: migration, retention, privacy, bad data."""

from __future__ import annotations

import logging
from pathlib import Path
import stat
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.const import DOMAIN
from custom_components.polar_flow.kinds import KINDS

from .conftest import (
    API,
    USER_ID,
    PostWebhook,
    exercise_json,
    notice_json,
    push,
    replace_route,
    requests_to,
)

STORE_KEY = f"{DOMAIN}.account_{USER_ID}"
SPORT = "sensor.alice_runner_last_exercise_sport"
DAY = 24 * 3600


def stored(version: int, data: Any) -> dict[str, Any]:
    """Return an account's store as Home Assistant keeps it."""
    return {"version": version, "key": STORE_KEY, "data": data}


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up and let its first work finish."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def warnings_of_polar_flow(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings and errors the integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components")
    ]


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_exercise_only_storage_is_migrated(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Version 1 (exercises only) moves under kinds.exercise: its latest shows, its ids stay."""
    now = dt_util.utcnow().timestamp()
    latest = {"exercise_id": "EX1", "sport": "CYCLING", "start": "2026-11-21T07:00:00+00:00"}
    hass_storage[STORE_KEY] = stored(
        1, {"seen": {"EX0": now, "EX1": now, "EX2": "yesterday"}, "latest": latest}
    )
    await start(hass, config_entry)
    assert hass.states.get(SPORT).state == "cycling"

    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 0
    assert events == []

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert hass_storage[STORE_KEY]["version"] == 2
    exercise = hass_storage[STORE_KEY]["data"]["kinds"]["exercise"]
    assert exercise["seen"] == {
        "EX0": {"at": now, "hash": None},
        "EX1": {"at": now, "hash": None},
    }
    assert exercise["latest"]["exercise_id"] == "EX1"
    assert exercise["latest"]["sport"] == "CYCLING"


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_items_older_than_accesslink_lists_are_forgotten(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    post_webhook: PostWebhook,
) -> None:
    """What was published more than 45 days ago is dropped from storage; younger items stay."""
    now = dt_util.utcnow().timestamp()
    seen = {
        "EX0": {"at": now, "hash": None},
        "OLD": {"at": now - 46 * DAY, "hash": None},
        "RECENT": {"at": now - 44 * DAY, "hash": None},
    }
    hass_storage[STORE_KEY] = stored(2, {"kinds": {"exercise": {"seen": seen, "latest": None}}})
    await start(hass, config_entry)
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    kinds = hass_storage[STORE_KEY]["data"]["kinds"]
    assert set(kinds["exercise"]["seen"]) == {"EX0", "RECENT", "EX1"}
    # Every kind was listed at setup, so every kind is stored.
    assert set(kinds) == set(KINDS)


@pytest.mark.usefixtures("setup_credentials")
async def test_published_items_leave_no_trace_between_listings(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """Pushed exercises keep nothing per item beyond what was published (memory stays flat).

    Only the ledger's internal bookkeeping can show it: before, it kept one entry per item
    ever published, for as long as Home Assistant ran.
    """
    await start(hass, config_entry)
    for number in range(1, 21):
        exercise_id = f"EX{number}"
        replace_route(
            polar_api, "get", f"{API}/v3/exercises/{exercise_id}", json=exercise_json(exercise_id)
        )
        await post_webhook(notice_json(exercise_id))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 20

    ledger = config_entry.runtime_data.coordinator.ledger
    assert ledger._remembered_at == {}


async def test_account_store_is_private(
    hass: HomeAssistant,
    setup_credentials: None,
    night_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    tmp_path: Path,
) -> None:
    """The file holding every kind's health data is the owner's only."""
    # The test harness keeps storage in memory; write real files, as Home Assistant does.
    hass.config.config_dir = str(tmp_path)

    async def write_file(store: Store[Any], data: dict[str, Any]) -> None:
        await hass.async_add_executor_job(store._write_data, data)

    with patch.object(Store, "_async_write_data", write_file):
        await start(hass, config_entry)
        await push(hass, post_webhook)
        await hass.config_entries.async_unload(config_entry.entry_id)

    account = tmp_path / ".storage" / STORE_KEY
    text = account.read_text()
    assert '"sleep_score": 82' in text
    assert '"heart_rate_variability": 48' in text
    assert stat.S_IMODE(account.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(["not", "an", "account"], id="not-a-dict"),
        pytest.param({"kinds": "none"}, id="kinds-not-a-dict"),
        pytest.param(
            {"kinds": {"exercise": {"seen": ["EX0"]}, "sleep": "broken"}}, id="seen-not-a-dict"
        ),
        pytest.param(
            {
                "kinds": {
                    "exercise": {
                        "seen": {"EX0": {"at": 1.0e12}, "EX8": {"at": "today"}, "EX9": 5},
                        "latest": None,
                    },
                    "sleep": {"seen": {}, "latest": {"date": "last night"}},
                    "nightly_recharge": {"seen": {}, "latest": {"date": 29}},
                }
            },
            id="unreadable-items",
        ),
        pytest.param(
            {"kinds": {"exercise": {"seen": {"EX0": {"at": 1.0e12}}, "latest": {"sport": "x"}}}},
            id="latest-without-id",
        ),
    ],
)
@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_unreadable_storage_loses_nothing_new(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    post_webhook: PostWebhook,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    data: Any,
) -> None:
    """Stored data that cannot be read is skipped quietly: no old item announced, push works."""
    hass_storage[STORE_KEY] = stored(2, data)
    await start(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    assert events == []
    for sensor in ("sleep_score", "nightly_recharge_status"):
        assert hass.states.get(f"sensor.alice_runner_{sensor}").state == "unknown"

    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    assert hass.states.get(SPORT).state == "running"
    assert warnings_of_polar_flow(caplog) == []
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("setup_credentials", "polar_api")
async def test_later_minor_version_is_read_as_it_is(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    polar_api: AiohttpClientMocker,
    events: list[Event],
) -> None:
    """A file of a later minor version keeps what was seen: nothing is announced again."""
    now = dt_util.utcnow().timestamp()
    hass_storage[STORE_KEY] = {
        **stored(2, {"kinds": {"exercise": {"seen": {"EX0": {"at": now, "hash": None}}}}}),
        "minor_version": 2,
    }
    await start(hass, config_entry)
    assert events == []
    assert requests_to(polar_api, "GET", "/v3/exercises/EX0") == 0
