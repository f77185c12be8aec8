"""What Home Assistant says when an account cannot be updated is translated."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import API, PostWebhook, notice_json, replace_route, requests_to


async def test_refresh_while_rate_limited_says_why(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update asked for before Polar's rate limit resets fails with a translated reason."""
    assert await async_setup_component(hass, "homeassistant", {})
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/exercises/EX1",
        status=429,
        json={"status": 429},
        headers={"Retry-After": "300"},
    )
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    caplog.clear()

    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.alice_runner_last_exercise_sport"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert requests_to(polar_api, "GET", "/v3/exercises") == 0
    (message,) = [
        record.getMessage() for record in caplog.records if "Error fetching" in record.getMessage()
    ]
    assert message.endswith("Polar's rate limit was reached; waiting for it to reset")
