"""Setup, unload and removal of accounts, and the webhook they share."""

from __future__ import annotations

import logging
from pathlib import Path
import stat
from typing import Any
from unittest.mock import patch

from aiohttp import ClientConnectionError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from custom_components.polar_flow.const import DOMAIN, EVENT_EXERCISE

from .conftest import (
    ACCESS_TOKEN,
    API,
    OTHER_USER_ID,
    POLAR_WEBHOOK_ID,
    SIGNING_SECRET,
    USER_ID,
    PostWebhook,
    make_entry,
    notice_json,
    replace_route,
    requests_to,
)


def warnings_of_polar_flow(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings and errors the integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components")
    ]


async def test_setup_and_unload(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    device_registry: dr.DeviceRegistry,
    post_webhook: PostWebhook,
) -> None:
    """A loaded entry has a device; unloading stops the webhook but keeps it at Polar."""
    entry = setup_integration
    assert entry.state is ConfigEntryState.LOADED
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.name == "Alice Runner"
    assert device.manufacturer == "Polar"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.NOT_LOADED
    response = await post_webhook(notice_json("EX1"))
    assert response.status == 200  # Home Assistant's answer for an unknown webhook
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 0
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 0


async def test_two_accounts_share_one_webhook(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """A second account of the same client reuses the webhook; the last removal deletes it."""
    second = make_entry(OTHER_USER_ID, "Bob")
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "POST", "/v3/webhooks") == 1

    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 0
    assert second.state is ConfigEntryState.LOADED
    events = async_capture_events(hass, EVENT_EXERCISE)
    response = await post_webhook(notice_json("EX2", user_id=OTHER_USER_ID))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response.status == 200
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 1
    assert [(event.data["user_id"], event.data["exercise_id"]) for event in events] == [
        (OTHER_USER_ID, "EX2")
    ]

    await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (401, ConfigEntryState.SETUP_ERROR),
        (403, ConfigEntryState.SETUP_RETRY),
        (429, ConfigEntryState.SETUP_RETRY),
        (500, ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant,
    setup_credentials: None,
    aioclient_mock: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    status: int,
    state: ConfigEntryState,
) -> None:
    """401 starts reauth; other AccessLink failures retry the setup later."""
    aioclient_mock.get(f"{API}/v3/exercises", status=status, json={"status": status})
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == (["reauth"] if status == 401 else [])


async def test_missing_credentials(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, config_entry: MockConfigEntry
) -> None:
    """Without its application credentials the entry fails, asking nothing of Polar."""
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert aioclient_mock.call_count == 0


async def test_remove_without_credentials(
    hass: HomeAssistant,
    setup_credentials: None,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removing an entry whose credentials are gone says what is left at Polar, no traceback."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Alice Runner",
        unique_id=str(USER_ID),
        data={"auth_implementation": "gone", "token": make_entry().data["token"]},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    caplog.clear()  # Home Assistant's own word on the failed setup is not ours to judge
    aioclient_mock.delete(f"{API}/v3/users/{USER_ID}", status=204)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert "could not be deleted at Polar" in caplog.text
    assert "Traceback" not in caplog.text
    # The user's own token still deregisters the account; nothing else is asked of Polar.
    assert [(call[0], str(call[1])) for call in aioclient_mock.mock_calls] == [
        ("DELETE", f"{API}/v3/users/{USER_ID}")
    ]


async def test_remove_deregisters_the_user_at_polar(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removing an account deregisters it with its own token, so Polar stops pushing for it."""
    polar_api.mock_calls.clear()
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (deregister,) = [
        call
        for call in polar_api.mock_calls
        if call[0] == "DELETE" and str(call[1]) == f"{API}/v3/users/{USER_ID}"
    ]
    assert deregister[3]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1
    assert warnings_of_polar_flow(caplog) == []


async def test_remove_deregisters_only_the_removed_user(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """Another account of the same client stays registered, and so does the webhook."""
    second = make_entry(OTHER_USER_ID, "Bob")
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    polar_api.mock_calls.clear()

    assert await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "DELETE", f"/v3/users/{OTHER_USER_ID}") == 1
    assert requests_to(polar_api, "DELETE", f"/v3/users/{USER_ID}") == 0
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 0
    assert setup_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "json": {"status": 500}},
        {"status": 429, "json": {"status": 429}},
        {"exc": TimeoutError()},
        {"exc": ClientConnectionError("connection refused")},
    ],
)
async def test_remove_with_polar_unreachable(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    answer: dict[str, Any],
) -> None:
    """Polar failing the deregistration is one warning; the removal and webhook deletion go on."""
    replace_route(polar_api, "delete", f"{API}/v3/users/{USER_ID}", **answer)
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert requests_to(polar_api, "DELETE", f"/v3/users/{USER_ID}") == 1
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1
    (warning,) = warnings_of_polar_flow(caplog)
    assert "deregister" in warning
    assert ACCESS_TOKEN not in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_remove_when_polar_already_forgot_the_user(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    """A revoked token or an unknown user means nothing is left to end: no warning."""
    replace_route(
        polar_api, "delete", f"{API}/v3/users/{USER_ID}", status=status, json={"status": status}
    )
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert requests_to(polar_api, "DELETE", f"/v3/users/{USER_ID}") == 1
    assert requests_to(polar_api, "DELETE", f"/v3/webhooks/{POLAR_WEBHOOK_ID}") == 1
    assert warnings_of_polar_flow(caplog) == []


async def test_secret_and_health_data_files_are_private(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    config_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """The files holding Polar's signing secret and the latest exercise are the owner's only."""
    # The test harness keeps storage in memory; write real files, as Home Assistant does.
    hass.config.config_dir = str(tmp_path)

    async def write_file(store: Store[Any], data: dict[str, Any]) -> None:
        await hass.async_add_executor_job(store._write_data, data)

    with patch.object(Store, "_async_write_data", write_file):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await hass.config_entries.async_unload(config_entry.entry_id)

    (path,) = (tmp_path / ".storage").glob("polar_flow.webhook_*")
    assert SIGNING_SECRET in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    account = tmp_path / ".storage" / f"polar_flow.account_{USER_ID}"
    assert '"sport": "RUNNING"' in account.read_text()
    assert stat.S_IMODE(account.stat().st_mode) == 0o600


async def test_remove_entry_without_account_id(
    hass: HomeAssistant, setup_credentials: None, polar_api: AiohttpClientMocker
) -> None:
    """An entry that never knew its Polar user is removed; only the unused webhook is deleted."""
    entry = MockConfigEntry(domain=DOMAIN, title="Alice Runner", data=make_entry().data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert requests_to(polar_api, "DELETE", f"/v3/users/{USER_ID}") == 0
    assert requests_to(polar_api, "GET", "/v3/webhooks") == 1
