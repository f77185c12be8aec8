"""The account's AccessLink access, with the token from Home Assistant's OAuth2 session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

from .accesslink import AccessLinkClient, AccessLinkUser


def access_token_provider(session: OAuth2Session) -> Callable[[], Awaitable[str]]:
    """Return what the client asks for a valid access token before each request.

    Polar issues no refresh token: an expired token makes the session raise
    ConfigEntryAuthFailed, which starts reauthentication.
    """

    async def access_token() -> str:
        await session.async_ensure_token_valid()
        return str(session.token["access_token"])

    return access_token


def account_access(
    client: AccessLinkClient, user_id: int, session: OAuth2Session
) -> AccessLinkUser:
    """Return the AccessLink calls of one account, authorised through its OAuth2 session."""
    return AccessLinkUser(client, user_id, access_token_provider(session))
