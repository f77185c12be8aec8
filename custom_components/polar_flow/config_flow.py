"""Config flow for Polar Flow: OAuth2 sign-in, AccessLink registration and reauthentication."""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
from typing import Any, override

import probatio

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlowResult,
    FlowType,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2FlowHandler
from homeassistant.helpers.selector import TextSelector

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConflictError,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkNotFoundError,
    AccessLinkRateLimitError,
    AccessLinkRequestError,
    AccessLinkResponseError,
    TokenResponse,
    UserInfo,
    generate_member_id,
)
from .archive import CONF_ARCHIVE_FOLDER
from .const import DOMAIN, LOGGER, api_url
from .exercise_files import FolderNotAllowedError, allowed_folder


class PolarFlowConfigFlow(AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign a Polar account in and register it with AccessLink."""

    DOMAIN = DOMAIN

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> PolarFlowOptionsFlow:
        """Return the options flow."""
        return PolarFlowOptionsFlow()

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
            user = await self._async_register(client, token)
        except AccessLinkError as err:
            reason, placeholders = _abort_reason(err)
            return self.async_abort(reason=reason, description_placeholders=placeholders)
        if user is not None and user.name:
            title = user.name

        if self.source == SOURCE_REAUTH:
            # An explicit reason keeps this integration's text (Home Assistant's own has no
            # Finnish translation).
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(), data=data, reason="reauth_successful"
            )
        return self.async_create_entry(title=title, data=data)

    async def _async_register(
        self, client: AccessLinkClient, token: TokenResponse
    ) -> UserInfo | None:
        """Register the user with AccessLink; return its information when Polar gives it."""
        try:
            return await client.register_user(token.access_token, generate_member_id())
        except AccessLinkNotFoundError:
            # 204, "user not found": registered all the same only if Polar knows the user now.
            LOGGER.debug(
                "Polar answered the registration of user %s without content", token.user_id
            )
            return await client.get_user(token.access_token, token.user_id)
        except AccessLinkConflictError:
            LOGGER.debug("Polar user %s was already registered", token.user_id)
        try:
            return await client.get_user(token.access_token, token.user_id)
        except AccessLinkNotFoundError as err:
            # Not registered: the conflict was another user's member id.
            raise AbortFlow("member_id_conflict") from err
        except AccessLinkAuthError, AccessLinkConsentError:
            raise
        except AccessLinkError:
            # Registered; the name is only a nicety.
            return None


class PolarFlowOptionsFlow(OptionsFlowWithReload):
    """Choose the folder every new exercise's FIT file is archived in; the entry reloads."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the archive folder, which Home Assistant must be allowed to write to."""
        errors: dict[str, str] = {}
        if user_input is not None:
            folder = str(user_input.get(CONF_ARCHIVE_FOLDER) or "").strip()
            if not folder:
                return self.async_create_entry(data={})
            try:
                await self.hass.async_add_executor_job(allowed_folder, self.hass, folder)
            except FolderNotAllowedError:
                errors[CONF_ARCHIVE_FOLDER] = "folder_not_allowed"
            else:
                return self.async_create_entry(data={CONF_ARCHIVE_FOLDER: folder})
        schema = self.add_suggested_values_to_schema(
            probatio.Schema({probatio.Optional(CONF_ARCHIVE_FOLDER): TextSelector()}),
            user_input or self.config_entry.options,
        )
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)


def _abort_reason(err: AccessLinkError) -> tuple[str, dict[str, str] | None]:
    """Return why the registration failed, as an abort reason and its placeholders."""
    if isinstance(err, AccessLinkNotFoundError):
        return "user_not_found", {"flow_url": "https://flow.polar.com"}
    if isinstance(err, AccessLinkConsentError):
        return "missing_consents", {"account_url": "https://account.polar.com"}
    if isinstance(err, AccessLinkAuthError):
        return "invalid_auth", None
    if isinstance(err, AccessLinkRateLimitError):
        return "rate_limited", {"minutes": str(max(1, math.ceil(err.retry_after / 60)))}
    if isinstance(err, AccessLinkRequestError):
        return "registration_rejected", {"status": str(err.status)}
    if isinstance(err, AccessLinkResponseError):
        return "invalid_response", None
    return "cannot_connect", None
