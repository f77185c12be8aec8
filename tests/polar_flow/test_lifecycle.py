"""How push is set up at Polar, falls back to polling, and recovers."""

from __future__ import annotations

from datetime import timedelta
import importlib
import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

import homeassistant.components
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.polar_flow.const import DOMAIN, SUBSCRIBED_EVENTS
from custom_components.polar_flow.fetch_limit import MAX_PENDING_FETCHES

from .conftest import (
    ACCESS_TOKEN,
    API,
    CLIENT_ID,
    PING_FAILED,
    POLAR_WEBHOOK_ID,
    SIGNING_SECRET,
    replace_route,
    requests_to,
    sent_json,
    webhook_url_sent,
)

CLOUDHOOK = "https://hooks.nabu.casa"
ISSUE_ID = f"push_unavailable_{CLIENT_ID.replace('-', '_')}"


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up and wait for the webhook registration."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def hook_at_polar(url: str, *, active: bool = True, hook_id: str = POLAR_WEBHOOK_ID) -> Any:
    """Return Polar's webhook list holding one webhook."""
    return {"data": [{"id": hook_id, "events": ["EXERCISE"], "url": url, "active": active}]}


async def test_no_external_url_falls_back_to_polling(
    hass: HomeAssistant,
    hass_client: Any,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Without a public URL a repair issue explains it and AccessLink is polled; both recover."""
    await hass.config.async_update(external_url=None)
    await setup_entry(hass, config_entry)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "push_no_url"
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 0
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["webhook"]["problem"] == "no_url"
    assert diagnostics["account"]["update_interval"] == "0:30:00"

    polar_api.mock_calls.clear()
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises") == 1

    await hass.config.async_update(external_url="https://ha.example.com")
    freezer.tick(timedelta(hours=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None


@pytest.mark.parametrize(
    ("route", "status", "body", "translation_key"),
    [
        (("post", "/v3/webhooks"), 400, PING_FAILED, "push_ping_failed"),
        (("post", "/v3/webhooks"), 400, {"status": 400}, "push_unreachable"),
        (("get", "/v3/webhooks"), 404, {"status": 404}, "push_unreachable"),
        (("get", "/v3/webhooks"), 401, {"status": 401}, "push_client_rejected"),
    ],
)
async def test_polar_refuses_the_webhook(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    route: tuple[str, str],
    status: int,
    body: dict[str, Any],
    translation_key: str,
) -> None:
    """When Polar cannot be made to push, a repair issue says why; the entry still works."""
    replace_route(polar_api, route[0], f"{API}{route[1]}", status=status, json=body)
    await setup_entry(hass, config_entry)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == translation_key
    assert config_entry.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None


async def test_existing_webhook_with_unknown_secret_is_recreated(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """A webhook at our own address whose secret we lost: delete and create it again."""
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/webhooks",
        json=hook_at_polar("https://ha.example.com/api/webhook/from-lost-storage"),
    )
    await setup_entry(hass, config_entry)
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1


async def test_known_webhook_is_updated_and_activated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """The health check re-points and re-activates a webhook Polar deactivated."""
    await setup_entry(hass, config_entry)
    url = webhook_url_sent(polar_api)
    replace_route(
        polar_api,
        "get",
        f"{API}/v3/webhooks",
        json=hook_at_polar("https://old.example", active=False),
    )
    polar_api.patch(f"{API}/v3/webhooks/{POLAR_WEBHOOK_ID}", json=hook_at_polar(url)["data"][0])
    polar_api.post(f"{API}/v3/webhooks/activate", status=204)

    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    patch = next(call for call in polar_api.mock_calls if call[0] == "PATCH")
    assert sent_json(patch[2]) == {
        "url": url,
        "events": [str(event) for event in SUBSCRIBED_EVENTS],
    }
    assert requests_to(polar_api, "POST", "/v3/webhooks/activate") == 1
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 0


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, hass_client: Any, setup_integration: MockConfigEntry
) -> None:
    """Diagnostics show the webhook's health and never a token or the signing secret."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    text = str(diagnostics)
    assert ACCESS_TOKEN not in text
    assert SIGNING_SECRET not in text
    # The client's rate budget before Polar's first RateLimit headers: its formula for one user.
    budget = diagnostics["webhook"].pop("budget")
    assert (budget["from_headers"], budget["limits"]) == (False, [520, 5100])
    assert diagnostics["webhook"] == {
        "url_kind": "external",
        "registered": True,
        "active": True,
        "problem": None,
        "last_notice": None,
        "rejected_requests": 0,
        "failed_requests": 0,
        "failed_in_a_row": 0,
        "accounts": 1,
        "pending_fetches": [0, MAX_PENDING_FETCHES],
    }
    # The latest exercise is there, its values redacted (see test_diagnostics).
    assert diagnostics["account"]["kinds"]["exercise"]["latest"]["exercise_id"] == "**REDACTED**"


@pytest.fixture(params=["cloud not imported", "cloud imported"])
def fake_cloud(
    hass: HomeAssistant, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    """Stand in for Home Assistant Cloud with an active subscription.

    Whether something imported the real cloud component earlier must not matter: `from
    homeassistant.components import cloud` reads the package's attribute before sys.modules,
    so the stand-in replaces both.
    """
    name = "homeassistant.components.cloud"
    if request.param == "cloud imported":
        importlib.import_module(name)
    else:
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(homeassistant.components, "cloud", raising=False)
    module = ModuleType(name)

    class CloudNotAvailable(Exception):  # noqa: N818 - the cloud component's name
        """The cloud's error."""

    module.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
    module.async_active_subscription = lambda hass: True  # type: ignore[attr-defined]
    module.async_get_or_create_cloudhook = AsyncMock(  # type: ignore[attr-defined]
        side_effect=lambda hass, webhook_id: f"{CLOUDHOOK}/api/webhook/{webhook_id}"
    )
    module.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    module.listeners = []  # type: ignore[attr-defined]

    def listen(hass: HomeAssistant, listener: Any) -> Any:
        module.listeners.append(listener)  # type: ignore[attr-defined]
        return lambda: module.listeners.remove(listener)  # type: ignore[attr-defined]

    module.async_listen_connection_change = listen  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(homeassistant.components, "cloud", module, raising=False)
    hass.config.components.add("cloud")
    return module


async def test_cloudhook_is_used_and_deleted_with_the_last_account(
    hass: HomeAssistant,
    fake_cloud: ModuleType,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """With a cloud subscription Polar gets the cloudhook; removing the account deletes both."""
    polar_api.mock_calls.clear()
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (url,) = polar_api.registered_urls  # type: ignore[attr-defined]
    assert url.startswith(f"{CLOUDHOOK}/api/webhook/")

    # The cloud reconnecting re-checks the webhook at Polar.
    polar_api.mock_calls.clear()
    for listener in list(fake_cloud.listeners):  # type: ignore[attr-defined]
        await listener("connected")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 1

    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    fake_cloud.async_delete_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]
    assert fake_cloud.listeners == []  # type: ignore[attr-defined]
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1


async def test_cloudhook_unavailable_uses_the_external_url(
    hass: HomeAssistant,
    fake_cloud: ModuleType,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """When the cloud cannot make a cloudhook, Polar gets the external URL and push works."""
    fake_cloud.async_get_or_create_cloudhook.side_effect = (  # type: ignore[attr-defined]
        fake_cloud.CloudNotAvailable  # type: ignore[attr-defined]
    )
    await setup_entry(hass, config_entry)
    (url,) = polar_api.registered_urls  # type: ignore[attr-defined]
    assert url.startswith("https://ha.example.com/api/webhook/")
    assert config_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("cloud_state", ["fails", "unloaded"])
async def test_removal_completes_when_the_cloudhook_cannot_be_deleted(
    hass: HomeAssistant,
    fake_cloud: ModuleType,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    cloud_state: str,
) -> None:
    """A cloud that fails or is gone does not stop the removal or the webhook deletion."""
    await setup_entry(hass, config_entry)
    assert polar_api.registered_urls[0].startswith(CLOUDHOOK)  # type: ignore[attr-defined]
    if cloud_state == "fails":
        fake_cloud.async_delete_cloudhook.side_effect = (  # type: ignore[attr-defined]
            fake_cloud.CloudNotAvailable  # type: ignore[attr-defined]
        )
    else:
        hass.config.components.remove("cloud")

    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1
    calls = fake_cloud.async_delete_cloudhook.await_count  # type: ignore[attr-defined]
    assert calls == (1 if cloud_state == "fails" else 0)
