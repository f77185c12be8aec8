"""The registration at Polar: the webhook created, replaced, retried and deleted there."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    API,
    CLIENT_ID,
    EXTERNAL_URL,
    PostWebhook,
    notice_json,
    replace_route,
    requests_to,
    webhook_url_sent,
)

ISSUE_ID = f"push_unavailable_{CLIENT_ID.replace('-', '_')}"


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up and wait for the webhook registration."""
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


@pytest.mark.usefixtures("setup_integration")
async def test_registers_webhook_with_polar(polar_api: AiohttpClientMocker) -> None:
    """The webhook is created at Polar for the external URL, subscribed to EXERCISE."""
    url = webhook_url_sent(polar_api)
    assert url.startswith(f"{EXTERNAL_URL}/api/webhook/")
    create = next(c for c in polar_api.mock_calls if c[0] == "POST" and "webhooks" in str(c[1]))
    assert create[2]["events"] == [
        "EXERCISE",
        "SLEEP",
        "SLEEP_WISE_ALERTNESS",
        "SLEEP_WISE_CIRCADIAN_BEDTIME",
    ]
    assert create[3]["Authorization"].startswith("Basic ")


@pytest.mark.usefixtures("setup_integration")
async def test_ping_is_answered_before_create_returns(ping_statuses: list[int]) -> None:
    """Polar pings the URL while creating the webhook: the handler was already live."""
    assert ping_statuses == [200]


async def test_own_webhook_created_meanwhile_is_replaced(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    post_webhook: PostWebhook,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Polar answers 409 for a webhook of this instance whose secret is lost: it is replaced."""
    create = next(m for m in polar_api._mocks if m.match_request("post", URL(f"{API}/v3/webhooks")))
    answers = iter(["conflict"])

    async def conflict_once(method: str, url: URL, data: Any) -> Any:
        if next(answers, None) is None:
            return await create.side_effect(method, url, data)
        polar_api.hooks[:] = [  # type: ignore[attr-defined]
            {"id": "lost", "events": ["EXERCISE"], "url": f"{EXTERNAL_URL}/api/webhook/gone"}
        ]
        return AiohttpClientMockResponse(method, url, status=409, json={"status": 409})

    replace_route(polar_api, "post", f"{API}/v3/webhooks", side_effect=conflict_once)
    polar_api.delete(f"{API}/v3/webhooks/lost", status=204)
    await setup_entry(hass, config_entry)

    assert requests_to(polar_api, "DELETE", "/v3/webhooks/lost") == 1
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 2
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    response = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 200
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 1


async def test_removal_completes_when_polar_cannot_delete_the_webhook(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The last account removed while Polar fails: one warning, and the secret is forgotten."""
    replace_route(polar_api, "get", f"{API}/v3/webhooks", status=500, json={"status": 500})
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.config_entries.async_entries(DOMAIN) == []
    assert [w for w in warnings_of_polar_flow(caplog) if "webhook" in w] == [
        "Could not delete the Polar webhook: HTTP 500"
    ]
    assert "Traceback" not in caplog.text


async def test_long_outage_keeps_retrying_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polar down for days: the registration is retried every hour, the wait never grows."""
    replace_route(polar_api, "get", f"{API}/v3/webhooks", status=503, text="Service Unavailable")
    await setup_entry(hass, config_entry)

    for _ in range(3 * 24):
        freezer.tick(timedelta(hours=1, seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    polar_api.mock_calls.clear()
    freezer.tick(timedelta(hours=1, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert requests_to(polar_api, "GET", "/v3/webhooks") >= 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
