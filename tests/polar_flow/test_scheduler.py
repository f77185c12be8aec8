"""One rate budget per AccessLink client: pushed items first, the rest within a reserve."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.polar_flow.accesslink.budget import RESET_MARGIN
from custom_components.polar_flow.const import RECONCILE_INTERVAL

from .conftest import (
    API,
    OTHER_USER_ID,
    PostWebhook,
    exercise_json,
    make_entry,
    move_time,
    notice_json,
    replace_route,
    requests_to,
)

CARDIO_LOAD_OF_EX = "/v3/users/cardio-load/2026-11-27"
RESET = 300
THIRD_USER_ID = 11223344


def answered_with(usage: int, limit: int = 520) -> Any:
    """Answer an exercise by its id, telling a short window used that far."""

    async def answer(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        headers = {
            "RateLimit-Usage": f"{usage}, 1000",
            "RateLimit-Limit": f"{limit}, 5100",
            "RateLimit-Reset": f"{RESET}, 80000",
        }
        body = exercise_json(url.name)
        return AiohttpClientMockResponse(method, url, json=body, headers=headers)

    return answer


async def add_accounts(hass: HomeAssistant, *user_ids: int) -> list[MockConfigEntry]:
    """Sign more accounts in with the same AccessLink client."""
    entries = []
    for user_id in user_ids:
        entry = make_entry(user_id, f"Runner {user_id}")
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        entries.append(entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entries


async def settle(hass: HomeAssistant) -> None:
    """Let the work that may go now finish, without waiting for work that waits for a turn.

    Not async_block_till_done: it waits for a reconcile, which may wait for its turn.
    """
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.usefixtures("setup_integration")
async def test_a_push_goes_while_follow_ups_keep_the_reserve(
    hass: HomeAssistant, post_webhook: PostWebhook, polar_api: AiohttpClientMocker
) -> None:
    """Near the limit a pushed workout is fetched; its day's cardio load waits for the reset."""
    await add_accounts(hass, OTHER_USER_ID)
    # 470 of 520 used: within the 104 kept for pushes, more than half of it (follow-ups).
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=answered_with(470))
    polar_api.get(f"{API}/v3/exercises/EX2", side_effect=answered_with(471))
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    # Another account of the same client: its workout goes, its follow-up waits as well.
    assert (await post_webhook(notice_json("EX2", user_id=OTHER_USER_ID))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 1
    assert requests_to(polar_api, "GET", CARDIO_LOAD_OF_EX) == 0

    await move_time(hass, RESET + RESET_MARGIN)
    assert requests_to(polar_api, "GET", CARDIO_LOAD_OF_EX) == 2


@pytest.mark.usefixtures("setup_integration")
async def test_listings_wait_for_the_reset_while_pushes_go(
    hass: HomeAssistant, post_webhook: PostWebhook, polar_api: AiohttpClientMocker
) -> None:
    """Beyond the background share the reconcile waits; a push in the meantime goes at once."""
    await add_accounts(hass, OTHER_USER_ID, THIRD_USER_ID)
    # Polar's count for three accounts: 460 of 560, beyond the 448 background work may use.
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=answered_with(460, 560))
    polar_api.get(f"{API}/v3/exercises/EX2", side_effect=answered_with(461, 560))
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    listings = requests_to(polar_api, "GET", "/v3/exercises")

    # Every account's reconcile is due; none of them may list now.
    async_fire_time_changed(hass, dt_util.utcnow() + RECONCILE_INTERVAL)
    await settle(hass)
    assert requests_to(polar_api, "GET", "/v3/exercises") == listings
    assert (await post_webhook(notice_json("EX2", user_id=THIRD_USER_ID))).status == 200
    await settle(hass)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 1
    assert requests_to(polar_api, "GET", "/v3/exercises") == listings

    # The window resets: the three reconciles list every kind.
    async_fire_time_changed(hass, dt_util.utcnow() + RECONCILE_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises") == listings + 3


async def test_unloading_while_requests_wait_for_their_turn(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
) -> None:
    """Requests waiting for a turn are given up at unload: nothing is asked afterwards."""
    # The whole short window is used: even a pushed workout waits for the reset.
    replace_route(polar_api, "get", f"{API}/v3/exercises/EX1", side_effect=answered_with(520))
    polar_api.get(f"{API}/v3/exercises/EX2", side_effect=answered_with(520))
    assert (await post_webhook(notice_json("EX1"))).status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await post_webhook(notice_json("EX2"))).status == 200
    # As when push comes back and every account catches up.
    setup_integration.runtime_data.coordinator.async_catch_up()
    await settle(hass)
    diagnostics = setup_integration.runtime_data.webhooks.diagnostics()["budget"]
    assert diagnostics["waiting"] == {"push": 1, "follow_up": 1, "catch_up": 1, "backfill": 0}
    assert diagnostics["from_headers"] is True
    calls = len(polar_api.mock_calls)

    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_time_changed(hass, dt_util.utcnow() + RECONCILE_INTERVAL * 2)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(polar_api.mock_calls) == calls
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 0
