"""The sign-in: OAuth2 with Polar, AccessLink registration, reauthentication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import ClientConnectionError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.const import DOMAIN

from .conftest import (
    ACCESS_TOKEN,
    API,
    CLIENT_ID,
    OTHER_USER_ID,
    USER_ID,
    make_entry,
    requests_to,
    sent_json,
)

AUTHORIZE_URL = "https://flow.polar.com/oauth2/authorization"
TOKEN_URL = "https://polarremote.com/v2/oauth2/token"
REDIRECT_URL = "https://example.com/auth/external/callback"

pytestmark = pytest.mark.usefixtures("current_request_with_host", "setup_credentials")

USER_INFO = {
    "polar-user-id": USER_ID,
    "member-id": "m1",
    "registration-date": "2026-11-27T10:00:00.000Z",
    "first-name": "Alice",
    "last-name": "Runner",
}


def token_response(user_id: int = USER_ID) -> dict[str, Any]:
    """Return Polar's token response."""
    return {
        "access_token": ACCESS_TOKEN,
        "token_type": "bearer",
        "expires_in": 31535999,
        "x_user_id": user_id,
    }


async def start_and_authorize(
    hass: HomeAssistant, http_client: Any, flow_id: str | None = None, error: bool = False
) -> dict[str, Any]:
    """Start the flow (unless given), follow it to Polar and come back with a code."""
    if flow_id is None:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    else:
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = URL(result["url"])
    assert str(url.with_query(None)) == AUTHORIZE_URL
    assert url.query["client_id"] == CLIENT_ID
    assert url.query["response_type"] == "code"
    assert url.query["redirect_uri"] == REDIRECT_URL
    state = config_entry_oauth2_flow._encode_jwt(
        hass, {"flow_id": result["flow_id"], "redirect_uri": REDIRECT_URL}
    )
    assert url.query["state"] == state
    query = "error=access_denied" if error else "code=abcd"
    response = await http_client.get(f"/auth/external/callback?{query}&state={state}")
    assert response.status == 200
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"]))


@pytest.mark.usefixtures("polar_api")
async def test_full_flow(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Sign in, register with AccessLink, create the entry named after the user."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", json=USER_INFO)

    result = await start_and_authorize(hass, http_client)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice Runner"
    assert result["result"].unique_id == str(USER_ID)
    assert result["data"]["token"]["access_token"] == ACCESS_TOKEN
    token_call = next(c for c in aioclient_mock.mock_calls if str(c[1]) == TOKEN_URL)
    assert token_call[2]["redirect_uri"] == REDIRECT_URL
    assert "client_secret" not in token_call[2]
    register = next(c for c in aioclient_mock.mock_calls if str(c[1]) == f"{API}/v3/users")
    assert sent_json(register[2])["member-id"]
    assert register[3]["Authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_user_denies(hass: HomeAssistant, http_client: Any) -> None:
    """Denying on Polar's page aborts the flow with the reason."""
    result = await start_and_authorize(hass, http_client, error=True)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_rejected_authorize"


@pytest.mark.parametrize(("status", "reason"), [(400, "oauth_unauthorized"), (500, "oauth_failed")])
async def test_token_error(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    reason: str,
) -> None:
    """A refused token request aborts; nothing is registered."""
    aioclient_mock.post(TOKEN_URL, status=status, json={"error": "invalid_grant"})
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert not any(str(c[1]).startswith(API) for c in aioclient_mock.mock_calls)


async def test_token_without_user_id(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token response without x_user_id cannot make an entry."""
    token = token_response()
    del token["x_user_id"]
    aioclient_mock.post(TOKEN_URL, json=token)
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_error"


@pytest.mark.parametrize(
    ("status", "reason", "placeholders"),
    [
        (400, "registration_rejected", {"status": "400"}),
        (401, "invalid_auth", None),
        (403, "missing_consents", {"account_url": "https://account.polar.com"}),
        (429, "rate_limited", {"minutes": "15"}),
        (500, "cannot_connect", None),
        (503, "cannot_connect", None),
    ],
)
async def test_registration_errors(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    reason: str,
    placeholders: dict[str, str] | None,
) -> None:
    """AccessLink refusing the registration aborts with a translated reason."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(
        f"{API}/v3/users",
        status=status,
        json={"status": status, "message": "no"},
        headers={"Retry-After": "900"} if status == 429 else None,
    )
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert result["description_placeholders"] == placeholders
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"exc": TimeoutError()}, "cannot_connect"),
        ({"exc": ClientConnectionError("refused")}, "cannot_connect"),
        ({"text": "<html>maintenance</html>"}, "invalid_response"),
        ({"json": {"member-id": "m1"}}, "invalid_response"),
    ],
)
async def test_registration_unreachable_or_unreadable(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    reason: str,
) -> None:
    """No answer and an unreadable answer are told apart."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", **answer)
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.usefixtures("polar_api")
async def test_registration_without_content_but_registered(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """204 to the registration: when Polar knows the user all the same, sign-in succeeds."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", status=204)
    aioclient_mock.get(f"{API}/v3/users/{USER_ID}", json=USER_INFO)
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice Runner"


def answer(status: int) -> dict[str, Any]:
    """Return an AccessLink answer with a status; 204 has no body."""
    return {"status": status} if status == 204 else {"status": status, "json": {"status": status}}


@pytest.mark.parametrize(
    ("register_status", "user_status", "reason"),
    [
        (204, 204, "user_not_found"),
        (204, 403, "missing_consents"),
        (204, 500, "cannot_connect"),
        (409, 204, "member_id_conflict"),
        (409, 401, "invalid_auth"),
        (409, 403, "missing_consents"),
    ],
)
async def test_registration_not_confirmed(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    register_status: int,
    user_status: int,
    reason: str,
) -> None:
    """When Polar's user information contradicts the registration, sign-in says why."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", **answer(register_status))
    aioclient_mock.get(f"{API}/v3/users/{USER_ID}", **answer(user_status))
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.usefixtures("polar_api")
@pytest.mark.parametrize(
    ("user_status", "title"), [(200, "Alice Runner"), (500, f"Polar {USER_ID}")]
)
async def test_already_registered(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    user_status: int,
    title: str,
) -> None:
    """409 means already registered: fine; the name comes from the user's info when it can."""
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", status=409, json={"status": 409})
    aioclient_mock.get(f"{API}/v3/users/{USER_ID}", status=user_status, json=USER_INFO)
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title


async def test_already_configured(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Signing in with a configured account aborts before registering."""
    make_entry().add_to_hass(hass)
    aioclient_mock.post(TOKEN_URL, json=token_response())
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("polar_api")
@pytest.mark.parametrize(
    ("user_id", "reason"), [(USER_ID, "reauth_successful"), (OTHER_USER_ID, "wrong_account")]
)
async def test_reauth(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    user_id: int,
    reason: str,
) -> None:
    """Reauth signs the same account in again; another account is refused."""
    entry = make_entry()
    entry.add_to_hass(hass)
    aioclient_mock.post(TOKEN_URL, json={**token_response(user_id), "access_token": "new-token"})
    aioclient_mock.post(f"{API}/v3/users", status=409, json={})
    aioclient_mock.get(f"{API}/v3/users/{user_id}", json=USER_INFO)

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await start_and_authorize(hass, http_client, flow_id=result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    expected = "new-token" if reason == "reauth_successful" else ACCESS_TOKEN
    assert entry.data["token"]["access_token"] == expected
    await hass.async_block_till_done(wait_background_tasks=True)
    if reason == "reauth_successful":
        # The entry reloaded and asks AccessLink with the new token.
        assert entry.state is ConfigEntryState.LOADED
        listing = [c for c in aioclient_mock.mock_calls if str(c[1]) == f"{API}/v3/exercises"]
        assert listing[-1][3]["Authorization"] == "Bearer new-token"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Signed in to Polar again."), ("fi", "Kirjauduttu Polariin uudelleen.")],
)
async def test_reauth_success_is_said_in_the_users_language(
    hass: HomeAssistant,
    http_client: Any,
    aioclient_mock: AiohttpClientMocker,
    language: str,
    shown: str,
) -> None:
    """The reauth's closing text is this integration's, so it is Finnish in the Finnish UI.

    Home Assistant's generic 'Re-authentication was successful' has no Finnish translation.
    """
    entry = make_entry()
    entry.add_to_hass(hass)
    aioclient_mock.post(TOKEN_URL, json={**token_response(), "access_token": "new-token"})
    aioclient_mock.post(f"{API}/v3/users", status=409, json={})
    aioclient_mock.get(f"{API}/v3/users/{USER_ID}", json=USER_INFO)
    result = await entry.start_reauth_flow(hass)
    result = await start_and_authorize(hass, http_client, flow_id=result["flow_id"])
    assert result["reason"] == "reauth_successful"
    assert await shown_abort(hass, result, language) == shown
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    ("my_loaded", "redirect_url"),
    [
        (False, "https://ha.example.com/auth/external/callback"),
        (True, "https://my.home-assistant.io/redirect/oauth"),
    ],
)
async def test_credentials_dialog_names_the_redirect_url(
    hass: HomeAssistant, hass_ws_client: Any, my_loaded: bool, redirect_url: str
) -> None:
    """The credentials dialog tells the user the redirect URL this sign-in will really use."""
    if my_loaded:
        hass.config.components.add("my")
    client = await hass_ws_client()
    await client.send_json({"id": 1, "type": "application_credentials/config"})
    response = await client.receive_json()
    placeholders = response["result"]["integrations"][DOMAIN]["description_placeholders"]
    assert placeholders == {
        "admin_url": "https://admin.polaraccesslink.com",
        "redirect_url": redirect_url,
    }


async def shown_abort(hass: HomeAssistant, result: dict[str, Any], language: str) -> str:
    """Return the text the frontend shows for an abort, in language."""
    domain = result.get("translation_domain") or result["handler"]
    translations = await async_get_translations(hass, language, "config", [domain])
    return translations.get(f"component.{domain}.config.abort.{result['reason']}", "")


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_wrong_client_secret_says_where_to_fix_it(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker, language: str
) -> None:
    """Polar refusing the client secret names the place to check it and how to change it here."""
    aioclient_mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_unauthorized"
    text = await shown_abort(hass, result, language)
    assert "admin.polaraccesslink.com" in text
    assert "{" not in text


def frontend_label(language: str, key: str) -> str:
    """Return what Home Assistant's own frontend shows for key in language."""
    frontend = pytest.importorskip("hass_frontend")
    translations = Path(frontend.__file__).parent / "static" / "translations"
    for path in sorted(translations.glob(f"**/{language}-[0-9a-f]*.json")):
        if key in (labels := json.loads(path.read_text(encoding="utf-8"))):
            return str(labels[key])
    pytest.fail(f"the frontend has no {language} label {key}")


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_wrong_client_secret_names_the_menus_as_the_frontend_does(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker, language: str
) -> None:
    """The way to the credentials reads like the user's menus: Settings, Devices & services, ⋮."""
    aioclient_mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    result = await start_and_authorize(hass, http_client)
    text = await shown_abort(hass, result, language)
    menus = [
        frontend_label(language, "panel.config"),
        frontend_label(language, "ui.panel.config.dashboard.devices.main"),
        "⋮",
        frontend_label(language, "ui.panel.config.application_credentials.caption"),
    ]
    assert " → ".join(menus) in text


@pytest.mark.parametrize(("language", "words"), [("en", "approve"), ("fi", "hyväksy")])
async def test_denied_access_says_to_sign_in_and_approve(
    hass: HomeAssistant, http_client: Any, language: str, words: str
) -> None:
    """Denying on Polar's page tells the user to sign in again and approve."""
    result = await start_and_authorize(hass, http_client, error=True)
    assert result["reason"] == "user_rejected_authorize"
    text = await shown_abort(hass, result, language)
    assert words in text.lower()
    assert "{error}" in text


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_credentials_picker_has_a_label(hass: HomeAssistant, language: str) -> None:
    """With two application credentials the picker's field has a translated label."""
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("second-client", "second-secret"), "second"
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick_implementation"
    assert list(result["data_schema"].schema) == ["implementation"]
    translations = await async_get_translations(hass, language, "config", [DOMAIN])
    step = f"component.{DOMAIN}.config.step.pick_implementation"
    assert translations.get(f"{step}.data.implementation")
    assert translations.get(f"{step}.data_description.implementation")


async def test_sign_in_again_after_removal(
    hass: HomeAssistant,
    http_client: Any,
    setup_integration: Any,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A removed account, deregistered at Polar, is registered anew when added again."""
    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests_to(aioclient_mock, "DELETE", f"/v3/users/{USER_ID}") == 1
    aioclient_mock.post(TOKEN_URL, json=token_response())
    aioclient_mock.post(f"{API}/v3/users", json=USER_INFO)

    result = await start_and_authorize(hass, http_client)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert requests_to(aioclient_mock, "POST", "/v3/users") == 1
    assert result["result"].state is ConfigEntryState.LOADED


async def test_token_answer_not_json(
    hass: HomeAssistant, http_client: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A token answer that is not JSON aborts the sign-in; nothing is registered."""
    aioclient_mock.post(TOKEN_URL, text="<html>maintenance</html>")
    result = await start_and_authorize(hass, http_client)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    assert not any(str(c[1]).startswith(API) for c in aioclient_mock.mock_calls)


async def test_token_is_never_refreshed(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Polar issues no refresh token: a refresh asks to sign in again and sends nothing."""
    entry = make_entry()
    entry.add_to_hass(hass)
    implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
        hass, entry
    )
    with pytest.raises(ConfigEntryAuthFailed):
        await implementation.async_refresh_token(entry.data["token"])
    assert aioclient_mock.call_count == 0


async def test_options_archive_folder(
    hass: HomeAssistant, setup_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """An allowed archive folder is saved and the entry reloads; an empty one switches it off."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    folder = str(tmp_path / "polar")

    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"archive_folder": f" {folder} "}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_integration.options == {"archive_folder": folder}
    assert setup_integration.state is ConfigEntryState.LOADED

    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    schema_keys = {str(key): key for key in result["data_schema"].schema}
    assert schema_keys["archive_folder"].description == {"suggested_value": folder}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert setup_integration.options == {}


@pytest.mark.parametrize("folder", ["/etc/polar", "polar", "{tmp}/../elsewhere"])
async def test_options_refuse_a_folder_not_allowed(
    hass: HomeAssistant, setup_integration: MockConfigEntry, tmp_path: Path, folder: str
) -> None:
    """A folder outside allowlist_external_dirs, or a relative one, is refused with a reason."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"archive_folder": folder.format(tmp=tmp_path)}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"archive_folder": "folder_not_allowed"}
    assert setup_integration.options == {}
    translations = await async_get_translations(hass, "fi", "options", [DOMAIN])
    assert translations[f"component.{DOMAIN}.options.error.folder_not_allowed"].startswith(
        "Home Assistant ei saa"
    )
