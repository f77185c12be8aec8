"""Config flow for Polar Flow: OAuth2 sign-in, AccessLink registration and reauthentication."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult, FlowType
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2FlowHandler

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConflictError,
    AccessLinkConsentError,
    AccessLinkError,
    TokenResponse,
    generate_member_id,
)
from .const import DOMAIN, LOGGER, api_url


class PolarFlowConfigFlow(AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign a Polar account in and register it with AccessLink."""

    DOMAIN = DOMAIN

    @property
    def logger(self) -> logging.Logger:
        """Return the logger of the flow."""
        return LOGGER

    @callback
    @override
    def async_abort(
        self,
        *,
        reason: str,
        description_placeholders: Mapping[str, str] | None = None,
        translation_domain: str | None = None,
        next_flow: tuple[FlowType, str] | None = None,
    ) -> ConfigFlowResult:
        """Abort with this integration's texts, which say what to fix at Polar.

        The OAuth2 helper would show Home Assistant's generic texts for its own reasons.
        """
        return super().async_abort(
            reason=reason,
            description_placeholders=description_placeholders,
            translation_domain=translation_domain or DOMAIN,
            next_flow=next_flow,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when Polar refuses the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user to sign in to Polar again."""
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        # Sign in again through the same AccessLink client, whose webhook the account shares.
        implementation = self._get_reauth_entry().data["auth_implementation"]
        return await self.async_step_pick_implementation({"implementation": implementation})

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Register the signed-in user with AccessLink and create or update the entry."""
        try:
            token = TokenResponse.from_dict(data["token"])
        except ValueError:
            return self.async_abort(reason="oauth_error")
        await self.async_set_unique_id(str(token.user_id))
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        else:
            self._abort_if_unique_id_configured()

        client = AccessLinkClient(async_get_clientsession(self.hass), api_url=api_url())
        title = f"Polar {token.user_id}"
        try:
            user = await client.register_user(token.access_token, generate_member_id())
        except AccessLinkConflictError:
            LOGGER.debug("Polar user %s was already registered", token.user_id)
            try:
                user = await client.get_user(token.access_token, token.user_id)
            except AccessLinkError:
                user = None
        except AccessLinkConsentError:
            return self.async_abort(
                reason="missing_consents",
                description_placeholders={"account_url": "https://account.polar.com"},
            )
        except AccessLinkAuthError:
            return self.async_abort(reason="invalid_auth")
        except AccessLinkError:
            return self.async_abort(reason="cannot_connect")
        if user is not None and user.name:
            title = user.name

        if self.source == SOURCE_REAUTH:
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=data)
        return self.async_create_entry(title=title, data=data)
