"""Application credentials for Polar AccessLink (OAuth2 with HTTP Basic at the token endpoint)."""

from __future__ import annotations

from typing import Any, cast, override

from aiohttp import ClientPayloadError, ClientResponseError, encode_basic_auth

from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    OAuth2TokenRequestReauthError,
    OAuth2TokenRequestTransientError,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    AUTH_CALLBACK_PATH,
    MY_AUTH_CALLBACK_PATH as MY_REDIRECT_URL,
    AbstractOAuth2Implementation,
)
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import DOMAIN, LOGGER, authorize_url, token_url


class PolarOAuth2Implementation(AuthImplementation):
    """Polar's code grant: client authenticated with HTTP Basic, no refresh token."""

    @override
    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a code for a token, authenticating the client with HTTP Basic."""
        session = async_get_clientsession(self.hass)
        LOGGER.debug("Requesting a token from %s", self.token_url)
        response = await session.post(
            self.token_url,
            data=data,
            headers={
                "Accept": "application/json",
                "Authorization": encode_basic_auth(self.client_id, self.client_secret),
            },
        )
        try:
            response.raise_for_status()
        except ClientResponseError as err:
            LOGGER.debug("Token request failed with HTTP %s", err.status)
            error = (
                OAuth2TokenRequestReauthError
                if err.status < 500 and err.status != 429
                else OAuth2TokenRequestTransientError
            )
            raise error(
                domain=self.domain, request_info=err.request_info, status=err.status
            ) from err
        try:
            return cast("dict[str, Any]", await response.json(content_type=None))
        except ValueError as err:
            raise ClientPayloadError("Polar answered the token request with invalid JSON") from err

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        """Polar issues no refresh token: the user has to sign in again."""
        raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="token_expired")


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Return Polar's OAuth2 implementation for the user's AccessLink client."""
    return PolarOAuth2Implementation(
        hass,
        auth_domain,
        credential,
        AuthorizationServer(authorize_url=authorize_url(), token_url=token_url()),
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Return the placeholders of the application credentials dialog."""
    return {
        "admin_url": "https://admin.polaraccesslink.com",
        "redirect_url": _redirect_url(hass),
    }


def _redirect_url(hass: HomeAssistant) -> str:
    """Return the redirect URL the user registers at Polar, as the OAuth2 flow will send it."""
    if "my" in hass.config.components:
        return MY_REDIRECT_URL
    try:
        return f"{get_url(hass, prefer_external=True)}{AUTH_CALLBACK_PATH}"
    except NoURLAvailableError:
        return MY_REDIRECT_URL
