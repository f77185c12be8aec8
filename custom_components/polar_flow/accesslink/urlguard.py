"""Refuse to send a token anywhere but the configured AccessLink API."""

from __future__ import annotations

from yarl import URL

from .errors import ForeignUrlError

_SCHEMES = frozenset({"http", "https"})


def parse_api_url(api_url: str) -> URL:
    """Parse and check an API base URL: absolute http(s), a host, no credentials."""
    try:
        url = URL(api_url)
    except (TypeError, ValueError) as err:
        raise ValueError("invalid AccessLink API URL") from err
    if url.scheme not in _SCHEMES or not url.host or url.user or url.password:
        raise ValueError("the AccessLink API URL must be http(s)://host[:port] without credentials")
    return url.with_query(None).with_fragment(None)


def guard_url(base: URL, url: str) -> URL:
    """Return url parsed if its scheme, host and port are the base's; else ForeignUrlError."""
    try:
        target = URL(url)
    except (TypeError, ValueError) as err:
        raise ForeignUrlError("refusing an unparsable URL") from err
    if not target.absolute or target.scheme not in _SCHEMES:
        raise ForeignUrlError("refusing a URL that is not absolute http(s)")
    if target.user is not None or target.password is not None:
        raise ForeignUrlError("refusing a URL with user information")
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        raise ForeignUrlError(
            f"refusing {target.scheme}://{target.host}:{target.port}: "
            f"the AccessLink API is {base.scheme}://{base.host}:{base.port}"
        )
    return target.with_fragment(None)


def ensure_api_url(api_url: str, url: str) -> str:
    """Return url if it points at the AccessLink API at api_url, else raise ForeignUrlError."""
    return str(guard_url(parse_api_url(api_url), url))
