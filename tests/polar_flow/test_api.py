"""The account's token: sent as Bearer to the configured AccessLink API only, never refreshed."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.polar_flow.const import DOMAIN, ENV_API_URL

from .conftest import (
    ACCESS_TOKEN,
    API,
    NIGHT,
    PostWebhook,
    make_entry,
    notice_json,
    push,
    requests_to,
)

OTHER_API = "https://accesslink.example.test"


def authorizations(aioclient_mock: AiohttpClientMocker) -> list[tuple[str, str, str | None]]:
    """Return each request's method, URL and Authorization header."""
    return [
        (method, str(url), (headers or {}).get("Authorization"))
        for method, url, _data, headers in aioclient_mock.mock_calls
    ]


def flow_sources(hass: HomeAssistant) -> list[str]:
    """Return the sources of the integration's flows in progress."""
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


async def test_expired_token_starts_reauth(
    hass: HomeAssistant, setup_credentials: None, polar_api: AiohttpClientMocker
) -> None:
    """Polar issues no refresh token: an expired one means signing in again, no request."""
    entry = make_entry()
    entry.add_to_hass(hass)
    token: dict[str, Any] = dict(entry.data["token"])
    token["expires_at"] = 0
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": token})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert requests_to(polar_api, "GET", "/v3/exercises") == 0
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.usefixtures("night_api")
async def test_token_goes_as_bearer_to_accesslink_only(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """The user's token authorises every account request, and goes nowhere else."""
    await post_webhook(notice_json("EX1"))
    await hass.async_block_till_done(wait_background_tasks=True)
    await push(hass, post_webhook)
    calls = authorizations(polar_api)
    with_token = [(method, url) for method, url, auth in calls if ACCESS_TOKEN in str(auth)]
    assert {auth for method, url, auth in calls if (method, url) in with_token} == {
        f"Bearer {ACCESS_TOKEN}"
    }
    # Every request for the account's data carries it; Polar's webhook calls do not.
    account_paths = ("/v3/exercises", "/v3/users/")
    assert with_token == [
        (method, url) for method, url, _ in calls if URL(url).path.startswith(account_paths)
    ]
    assert ("GET", f"{API}/v3/exercises/EX1") in with_token
    assert ("GET", f"{API}/v3/users/nightly-recharge/{NIGHT}") in with_token
    assert requests_to(polar_api, "GET", "/v3/webhooks") >= 1
    assert all(url.startswith(f"{API}/v3/") for _, url in with_token)


async def test_configured_api_gets_the_token(
    hass: HomeAssistant,
    setup_credentials: None,
    aioclient_mock: AiohttpClientMocker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With another AccessLink API configured, the token goes there and not to Polar's."""
    monkeypatch.setenv(ENV_API_URL, OTHER_API)
    await hass.config.async_update(external_url=None)
    aioclient_mock.get(f"{OTHER_API}/v3/exercises", json=[])
    aioclient_mock.get(f"{OTHER_API}/v3/users/sleep", json={"nights": []})
    aioclient_mock.get(f"{OTHER_API}/v3/users/nightly-recharge", json={"recharges": []})
    aioclient_mock.get(f"{OTHER_API}/v3/users/physical-info", status=204)
    aioclient_mock.get(f"{OTHER_API}/v3/users/cardio-load", json=[])
    for name in ("spo2", "skintemperature", "bodytemperature"):
        aioclient_mock.get(f"{OTHER_API}/v3/users/biosensing/{name}", status=204)
    aioclient_mock.get(f"{OTHER_API}/v3/users/activities", json=[])
    aioclient_mock.get(f"{OTHER_API}/v3/users/continuous-heart-rate", json={"heart_rates": []})
    aioclient_mock.get(f"{OTHER_API}/v3/users/sleepwise/alertness", status=204)
    aioclient_mock.get(f"{OTHER_API}/v3/users/sleepwise/circadian-bedtime", status=204)
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    calls = authorizations(aioclient_mock)
    assert sorted(URL(url).path for _, url, _ in calls) == sorted(
        [
            "/v3/exercises",
            "/v3/users/activities",
            "/v3/users/biosensing/bodytemperature",
            "/v3/users/biosensing/skintemperature",
            "/v3/users/biosensing/spo2",
            "/v3/users/cardio-load",
            "/v3/users/continuous-heart-rate",
            "/v3/users/nightly-recharge",
            "/v3/users/physical-info",
            "/v3/users/sleep",
            "/v3/users/sleepwise/alertness",
            "/v3/users/sleepwise/circadian-bedtime",
        ]
    )
    assert {URL(url).origin() for _, url, _ in calls} == {URL(OTHER_API)}
    assert {authorization for *_, authorization in calls} == {f"Bearer {ACCESS_TOKEN}"}


async def test_token_expiring_while_loaded_starts_reauth(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """A token that expires while the account runs is not sent: one reauth flow, no request."""
    token: dict[str, Any] = {**setup_integration.data["token"], "expires_at": 0}
    hass.config_entries.async_update_entry(
        setup_integration, data={**setup_integration.data, "token": token}
    )
    polar_api.mock_calls.clear()
    for exercise_id in ("EX1", "EX2"):
        assert (await post_webhook(notice_json(exercise_id))).status == 200
        await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX1") == 0
    assert requests_to(polar_api, "GET", "/v3/exercises/EX2") == 0
    assert flow_sources(hass) == ["reauth"]
