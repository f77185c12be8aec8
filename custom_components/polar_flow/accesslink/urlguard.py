"""URL checks: the configured AccessLink API, and whether a URL names one of its endpoints."""

from __future__ import annotations

from yarl import URL

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


def same_endpoint(expected: URL, url: str) -> bool:
    """Return whether url names the expected endpoint; www. and the bare host count as one."""
    try:
        target = URL(url)
    except TypeError, ValueError:
        return False
    if not target.absolute or target.user is not None or target.password is not None:
        return False
    return (target.scheme, _bare(target.host), target.port, target.raw_path) == (
        expected.scheme,
        _bare(expected.host),
        expected.port,
        expected.raw_path,
    )


def _bare(host: str | None) -> str | None:
    """Return a host without its leading 'www.'; Polar writes its API host both ways."""
    return host.removeprefix("www.") if host else host
