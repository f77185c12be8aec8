"""Exceptions raised by the AccessLink client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .ratelimit import DEFAULT_RETRY_AFTER, retry_after_seconds

if TYPE_CHECKING:
    from collections.abc import Mapping

_MAX_TEXT = 200


class AccessLinkError(Exception):
    """Base class of every AccessLink client error."""


class AccessLinkCredentialsError(AccessLinkError):
    """A client-level call was made without client_id and client_secret."""


class AccessLinkTimeoutError(AccessLinkError):
    """AccessLink did not answer in time."""


class AccessLinkConnectionError(AccessLinkError):
    """AccessLink could not be reached."""


class AccessLinkResponseError(AccessLinkError):
    """AccessLink answered with a body or status the client cannot use."""


class InvalidIdError(AccessLinkError, ValueError):
    """An id from a notice is not a single plain path segment; nothing was requested."""


class AccessLinkHttpError(AccessLinkError):
    """AccessLink answered with an HTTP error status."""

    def __init__(
        self,
        status: int | None,
        *,
        error_type: str | None = None,
        message: str | None = None,
        corr_id: str | None = None,
    ) -> None:
        """Keep the details of the error response."""
        self.status = status
        self.error_type = error_type
        self.message = message
        self.corr_id = corr_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        """Summarise the error in one line."""
        text = f"HTTP {self.status}" if self.status is not None else "HTTP error"
        if self.error_type:
            text += f" {self.error_type}"
        if self.message:
            text += f": {self.message}"
        if self.corr_id:
            text += f" (corr_id {self.corr_id})"
        return text


class AccessLinkRequestError(AccessLinkHttpError):
    """AccessLink rejected the request (a 4xx status without a closer match)."""


class AccessLinkAuthError(AccessLinkHttpError):
    """The token or client credentials are invalid, expired or revoked (401)."""


class AccessLinkConsentError(AccessLinkHttpError):
    """The user has not accepted Polar's mandatory consents (403)."""


class AccessLinkNotFoundError(AccessLinkHttpError):
    """The resource does not exist (404)."""


class AccessLinkConflictError(AccessLinkHttpError):
    """The resource already exists (409)."""


class AccessLinkServerError(AccessLinkHttpError):
    """AccessLink failed (5xx)."""


class AccessLinkRateLimitError(AccessLinkHttpError):
    """The client's rate limit is used up (429)."""

    def __init__(
        self,
        status: int | None,
        *,
        error_type: str | None = None,
        message: str | None = None,
        corr_id: str | None = None,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        """Keep the error details and the seconds until the limit resets."""
        self.retry_after = retry_after
        super().__init__(status, error_type=error_type, message=message, corr_id=corr_id)


_BY_STATUS: Mapping[int, type[AccessLinkHttpError]] = {
    401: AccessLinkAuthError,
    403: AccessLinkConsentError,
    404: AccessLinkNotFoundError,
    409: AccessLinkConflictError,
}


def _text(value: Any) -> str | None:
    """Return a short string for a field of an error body."""
    if isinstance(value, str) and value:
        return value[:_MAX_TEXT]
    return None


def parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """Return (error_type, message, corr_id) from either error body shape, or plain text."""
    try:
        data = json.loads(body)
    except ValueError:
        snippet = body.decode("utf-8", "replace").strip()
        return None, _text(snippet), None
    if not isinstance(data, dict):
        return None, None, None
    nested = data.get("error")
    if isinstance(nested, dict):
        data = nested
    elif isinstance(nested, str):
        description = _text(data.get("error_description")) or _text(data.get("message"))
        return _text(nested), description, None
    return (
        _text(data.get("errorType")) or _text(data.get("error_type")),
        _text(data.get("message")),
        _text(data.get("corrId")) or _text(data.get("corr_id")),
    )


def error_from_response(
    status: int, body: bytes, headers: Mapping[str, str]
) -> AccessLinkHttpError:
    """Build the exception matching an HTTP error response."""
    error_type, message, corr_id = parse_error_body(body)
    if status == 429:
        return AccessLinkRateLimitError(
            status,
            error_type=error_type,
            message=message,
            corr_id=corr_id,
            retry_after=retry_after_seconds(headers),
        )
    if status >= 500:
        cls: type[AccessLinkHttpError] = AccessLinkServerError
    else:
        cls = _BY_STATUS.get(status, AccessLinkRequestError)
    return cls(status, error_type=error_type, message=message, corr_id=corr_id)
