"""The Polar webhook of another Home Assistant, its fixable repair issue, and transient errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE

from .conftest import (
    API,
    CLIENT_ID,
    EXTERNAL_URL,
    PING_FAILED,
    POLAR_WEBHOOK_ID,
    PostWebhook,
    notice_json,
    replace_route,
    requests_to,
    webhook_url_sent,
)

ISSUE_ID = f"push_unavailable_{CLIENT_ID.replace('-', '_')}"
THEIR_HOST = "https://test-ha.example.net"
THEIR_URL = f"{THEIR_HOST}/api/webhook/their-secret-webhook-id"
THEIR_HOOK = "their-hook"
HEALTH_CHECK = timedelta(hours=6, seconds=1)


def their_hook() -> dict[str, Any]:
    """Return the webhook another Home Assistant registered with the same client."""
    return {"id": THEIR_HOOK, "events": ["EXERCISE"], "url": THEIR_URL, "active": True}


def warnings_about_push(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings saying that Polar cannot push."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "cannot push" in record.getMessage()
    ]


def webhook_changes(aioclient_mock: AiohttpClientMocker) -> list[tuple[str, str]]:
    """Return the requests that create, change or delete the webhook at Polar."""
    return [
        (method, URL(str(url)).path)
        for method, url, *_ in aioclient_mock.mock_calls
        if method in {"POST", "PATCH", "DELETE"} and URL(str(url)).path.startswith("/v3/webhooks")
    ]


def break_route(
    aioclient_mock: AiohttpClientMocker, method: str, url: str, **kwargs: Any
) -> Callable[[], None]:
    """Answer method and url with kwargs until the returned function is called."""
    aioclient_mock.request(method, url, **kwargs)
    mock = aioclient_mock._mocks.pop()
    aioclient_mock._mocks.insert(0, mock)
    return lambda: aioclient_mock._mocks.remove(mock)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock and run what became due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def repairs(hass: HomeAssistant, setup_credentials: None) -> None:
    """Load the repairs component before any HTTP client freezes the routes."""
    assert await async_setup_component(hass, "repairs", {})


@pytest.fixture
def their_webhook(polar_api: AiohttpClientMocker) -> None:
    """Make Polar list the webhook of another Home Assistant."""
    hooks: list[dict[str, Any]] = polar_api.hooks  # type: ignore[attr-defined]
    hooks[:] = [their_hook()]

    async def delete_webhook(method: str, url: URL, data: Any) -> Any:
        hooks.clear()
        return AiohttpClientMockResponse(method, url, status=204)

    polar_api.delete(f"{API}/v3/webhooks/{THEIR_HOOK}", side_effect=delete_webhook)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up and wait for the webhook registration."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def start_fix_flow(hass_client: Any) -> tuple[Any, dict[str, Any]]:
    """Open the issue's fix flow as the frontend does; return the client and the first step."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": ISSUE_ID}
    )
    assert response.status == 200, await response.text()
    return client, await response.json()


async def confirm_fix_flow(client: Any, flow_id: str) -> dict[str, Any]:
    """Submit the confirm step of a fix flow."""
    response = await client.post(f"/api/repairs/issues/fix/{flow_id}", json={})
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


@pytest.mark.usefixtures("repairs", "their_webhook")
async def test_webhook_of_another_home_assistant_is_left_alone(
    hass: HomeAssistant,
    hass_client: Any,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A webhook at another instance's URL is not touched: a fixable issue, and polling."""
    await setup_entry(hass, config_entry)

    assert webhook_changes(polar_api) == []
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.is_fixable is True
    assert issue.translation_key == "push_taken"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["other"] == THEIR_HOST
    assert "their-secret-webhook-id" not in str(issue.translation_placeholders)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["webhook"]["problem"] == "taken"
    assert diagnostics["account"]["update_interval"] == "0:30:00"

    # The health checks see it again and again: still hands off, one warning in all.
    await tick(hass, freezer, HEALTH_CHECK)
    await tick(hass, freezer, HEALTH_CHECK)
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 3
    assert webhook_changes(polar_api) == []
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is not None
    assert len(warnings_about_push(caplog)) == 1
    assert "their-secret-webhook-id" not in caplog.text


@pytest.mark.usefixtures("repairs", "their_webhook")
async def test_take_over_through_the_repair_flow(
    hass: HomeAssistant,
    hass_client: Any,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Confirming the fix flow replaces the other webhook with ours; push works, issue gone."""
    await setup_entry(hass, config_entry)
    client, step = await start_fix_flow(hass_client)
    assert step["type"] == "form"
    assert step["step_id"] == "confirm"
    assert step["description_placeholders"]["other"] == THEIR_HOST
    assert webhook_changes(polar_api) == []

    result = await confirm_fix_flow(client, step["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] == "create_entry"
    assert webhook_changes(polar_api) == [
        ("DELETE", f"/v3/webhooks/{THEIR_HOOK}"),
        ("POST", "/v3/webhooks"),
    ]
    assert webhook_url_sent(polar_api).startswith(f"{EXTERNAL_URL}/api/webhook/")
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["webhook"]["problem"] is None
    assert diagnostics["webhook"]["active"] is True

    events = async_capture_events(hass, EVENT_EXERCISE)
    response = await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 200
    assert [event.data["exercise_id"] for event in events] == ["EX1"]


@pytest.mark.usefixtures("repairs", "their_webhook")
async def test_take_over_that_fails_keeps_an_issue(
    hass: HomeAssistant,
    hass_client: Any,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """When Polar cannot ping this instance, the flow aborts and the issue says why."""
    await setup_entry(hass, config_entry)
    client, step = await start_fix_flow(hass_client)
    replace_route(polar_api, "post", f"{API}/v3/webhooks", status=400, json=PING_FAILED)

    result = await confirm_fix_flow(client, step["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] == "abort"
    assert result["reason"] == "take_over_failed"
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_ping_failed"
    assert issue.is_fixable is False


@pytest.mark.usefixtures("repairs", "their_webhook")
async def test_fix_flow_of_an_unloaded_account_aborts(
    hass: HomeAssistant,
    hass_client: Any,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """Unloaded while the dialog was open: nothing to take over for, nothing touched."""
    await setup_entry(hass, config_entry)
    client, step = await start_fix_flow(hass_client)
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    result = await confirm_fix_flow(client, step["flow_id"])

    assert result["type"] == "abort"
    assert result["reason"] == "not_loaded"
    assert webhook_changes(polar_api) == []


@pytest.mark.usefixtures("repairs")
async def test_other_instance_taking_it_back_raises_the_issue_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ours first; the other instance replaces it: the health check leaves it and says so."""
    await setup_entry(hass, config_entry)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    polar_api.hooks[:] = [their_hook()]  # type: ignore[attr-defined]
    polar_api.mock_calls.clear()

    await tick(hass, freezer, HEALTH_CHECK)
    await tick(hass, freezer, HEALTH_CHECK)

    assert webhook_changes(polar_api) == []
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_taken"
    assert len(warnings_about_push(caplog)) == 1


@pytest.mark.usefixtures("repairs")
async def test_our_own_url_with_an_unknown_secret_is_recreated_quietly(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Our storage was lost: the webhook at our own address is replaced without an issue."""
    polar_api.hooks[:] = [  # type: ignore[attr-defined]
        {**their_hook(), "id": POLAR_WEBHOOK_ID, "url": f"{EXTERNAL_URL}/api/webhook/lost"}
    ]
    await setup_entry(hass, config_entry)

    assert webhook_changes(polar_api) == [
        ("DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}"),
        ("POST", "/v3/webhooks"),
    ]
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert warnings_about_push(caplog) == []


@pytest.mark.parametrize(
    ("failure", "first_retry"),
    [
        pytest.param({"status": 500, "json": {"status": 500}}, 60, id="500"),
        pytest.param({"status": 503, "text": "Service Unavailable"}, 60, id="503"),
        pytest.param(
            {"status": 429, "json": {"status": 429}, "headers": {"Retry-After": "300"}},
            300,
            id="429",
        ),
        pytest.param({"exc": TimeoutError()}, 60, id="timeout"),
        pytest.param({"exc": aiohttp.ClientConnectionError("refused")}, 60, id="connection"),
    ],
)
@pytest.mark.usefixtures("repairs")
async def test_transient_errors_raise_no_issue(
    hass: HomeAssistant,
    hass_client: Any,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, Any],
    first_retry: int,
) -> None:
    """Polar failing for a while: no issue, one warning, polling, retried soon, push again."""
    restore = break_route(polar_api, "get", f"{API}/v3/webhooks", **failure)
    await setup_entry(hass, config_entry)

    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["webhook"]["problem"] == "polar_unavailable"
    assert diagnostics["account"]["update_interval"] == "0:30:00"

    # Retried well before the next health check, waiting longer each time; still no issue.
    polar_api.mock_calls.clear()
    await tick(hass, freezer, timedelta(seconds=first_retry - 5))
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 0
    await tick(hass, freezer, timedelta(seconds=6))
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 1
    await tick(hass, freezer, timedelta(seconds=max(120, first_retry) - 5))
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 1
    await tick(hass, freezer, timedelta(seconds=6))
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 2
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert len(warnings_about_push(caplog)) == 1

    restore()
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["webhook"]["problem"] is None


@pytest.mark.usefixtures("repairs", "their_webhook")
async def test_transient_error_keeps_the_issue_it_cannot_check(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Polar failing at a later check neither clears nor replaces the take-over issue."""
    await setup_entry(hass, config_entry)
    break_route(polar_api, "get", f"{API}/v3/webhooks", status=502)

    await tick(hass, freezer, HEALTH_CHECK)

    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_taken"
    assert issue.is_fixable is True


@pytest.mark.usefixtures("repairs")
async def test_webhook_created_elsewhere_meanwhile_is_left_alone(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Both instances start at once: Polar answers 409 and lists theirs; it is not deleted."""

    async def conflict(method: str, url: URL, data: Any) -> Any:
        polar_api.hooks[:] = [their_hook()]  # type: ignore[attr-defined]
        return AiohttpClientMockResponse(method, url, status=409, json={"status": 409})

    replace_route(polar_api, "post", f"{API}/v3/webhooks", side_effect=conflict)
    await setup_entry(hass, config_entry)

    assert webhook_changes(polar_api) == [("POST", "/v3/webhooks")]
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_taken"
