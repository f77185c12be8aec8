"""Deliveries that stall or fail inside Home Assistant: bounded, counted, repaired, never lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.aiohttp import MockRequest

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE

from .conftest import (
    CLIENT_ID,
    LazyClient,
    notice_json,
    requests_to,
    sign,
    webhook_url_sent,
)

ISSUE_ID = f"push_unavailable_{CLIENT_ID.replace('-', '_')}"

pytestmark = pytest.mark.usefixtures("setup_integration")


class StalledRequest(MockRequest):
    """A relayed request whose body never arrives."""

    @property
    def content(self) -> Any:
        """Return a reader that waits for ever."""

        class _Stalled:
            async def read(self, byte_count: int = -1) -> bytes:
                await asyncio.Event().wait()
                return b""

        return _Stalled()


class BrokenRequest(MockRequest):
    """A relayed request whose body stream fails in a way nobody expects."""

    @property
    def content(self) -> Any:
        """Return a reader that raises."""

        class _Broken:
            async def read(self, byte_count: int = -1) -> bytes:
                raise RuntimeError("secret body text")

        return _Broken()


def signed_notice(exercise_id: str) -> tuple[bytes, dict[str, str]]:
    """Return a notice body and Polar's headers for it."""
    body = json.dumps(notice_json(exercise_id)).encode()
    return body, {"Content-Type": "application/json", "Polar-Webhook-Signature": sign(body)}


def hook_id(polar_api: AiohttpClientMocker) -> str:
    """Return the Home Assistant webhook id Polar was given."""
    return URL(webhook_url_sent(polar_api)).name


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a body after 50 ms instead of seconds."""
    monkeypatch.setattr("custom_components.polar_flow.notice.BODY_READ_TIMEOUT", 0.05)


@pytest.mark.usefixtures("short_read_timeout")
async def test_stalled_relayed_body_times_out(
    hass: HomeAssistant, polar_api: AiohttpClientMocker, caplog: pytest.LogCaptureFixture
) -> None:
    """A relayed body that never arrives is answered 408 within the bound, without an error."""
    body, headers = signed_notice("EX1")
    request = StalledRequest(content=body, mock_source="cloud", method="POST", headers=headers)
    async with asyncio.timeout(5):
        answer = await webhook.async_handle_webhook(hass, hook_id(polar_api), request)
    assert answer.status == 408
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.usefixtures("short_read_timeout")
async def test_slow_http_body_times_out(
    hass: HomeAssistant, http_client: LazyClient, polar_api: AiohttpClientMocker
) -> None:
    """A body trickling in over HTTP slower than the bound is answered 408, nothing fetched."""
    body, headers = signed_notice("EX1")
    release = asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield body[:10]
        await release.wait()
        yield body[10:]

    path = URL(webhook_url_sent(polar_api)).path
    async with asyncio.timeout(5):
        response = await http_client.post(path, data=trickle(), headers=headers)
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 408
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 0


async def test_repeated_failures_raise_the_push_issue(
    hass: HomeAssistant,
    hass_client: Any,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Deliveries failing here are counted, raise the repair issue and poll; a success heals."""
    events = async_capture_events(hass, EVENT_EXERCISE)
    webhook_id = hook_id(polar_api)
    body, headers = signed_notice("EX1")

    async def broken_delivery() -> int:
        request = BrokenRequest(content=body, mock_source="cloud", method="POST", headers=headers)
        return (await webhook.async_handle_webhook(hass, webhook_id, request)).status

    for _ in range(2):
        assert await broken_delivery() == 503
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert await broken_delivery() == 503
    await hass.async_block_till_done(wait_background_tasks=True)

    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_delivery_failed"
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    assert diagnostics["webhook"]["problem"] == "delivery_failed"
    assert diagnostics["webhook"]["failed_requests"] == 3
    assert diagnostics["webhook"]["failed_in_a_row"] == 3
    assert diagnostics["account"]["update_interval"] == "0:30:00"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "deliver" in r.msg]
    assert len(warnings) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    assert "secret body text" not in caplog.text

    # The notices that failed were lost here: the next good delivery heals push and catches up.
    polar_api.mock_calls.clear()
    request = MockRequest(content=body, mock_source="cloud", method="POST", headers=headers)
    answer = await webhook.async_handle_webhook(hass, webhook_id, request)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert answer.status == 200
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    assert diagnostics["webhook"]["problem"] is None
    assert diagnostics["webhook"]["failed_requests"] == 3
    assert diagnostics["webhook"]["failed_in_a_row"] == 0
    assert diagnostics["account"]["update_interval"] == "6:00:00"
    assert [event.data["exercise_id"] for event in events] == ["EX1"]
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1
