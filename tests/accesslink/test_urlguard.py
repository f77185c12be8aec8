"""The URL guard: a user's token only ever goes to the configured AccessLink API."""

from __future__ import annotations

import pytest

from custom_components.polar_flow.accesslink import (
    DEFAULT_API_URL,
    AccessLinkClient,
    EventType,
    ForeignUrlError,
    Notice,
    ensure_api_url,
)

from .conftest import TOKEN, FakeAccessLink


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.polaraccesslink.com/v3/exercises/aQlC83",
            "https://www.polaraccesslink.com/v3/exercises/aQlC83",
        ),
        (
            "https://www.polaraccesslink.com:443/v3/users/sleep/2019-12-31",
            "https://www.polaraccesslink.com/v3/users/sleep/2019-12-31",
        ),
        (
            "HTTPS://WWW.PolarAccessLink.com/v3/users/physical-info",
            "https://www.polaraccesslink.com/v3/users/physical-info",
        ),
        (
            "https://www.polaraccesslink.com/v3/users/sleepwise/alertness/date?from=2022-09-30&to=2022-10-02#x",
            "https://www.polaraccesslink.com/v3/users/sleepwise/alertness/date?from=2022-09-30&to=2022-10-02",
        ),
    ],
    ids=["plain", "explicit-default-port", "case", "query-fragment"],
)
def test_accepts_the_api(url: str, expected: str) -> None:
    assert ensure_api_url(DEFAULT_API_URL, url) == expected


def test_accepts_default_port_on_the_base_side() -> None:
    assert (
        ensure_api_url("http://api.test:80/", "http://api.test/v3/exercises")
        == "http://api.test/v3/exercises"
    )


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://www.polaraccesslink.com/v3/exercises/a", "refusing http://"),
        ("https://www.polaraccesslink.com:8443/v3/exercises/a", ":8443"),
        ("https://polaraccesslink.com/v3/exercises/a", "refusing https://polaraccesslink.com"),
        ("https://www.polaraccesslink.com.evil.test/v3/exercises/a", "evil"),
        ("https://www.polaraccesslink.com./v3/exercises/a", "refusing"),
        ("https://evil.test/v3/exercises/a", "evil.test"),
        ("https://user@www.polaraccesslink.com/v3/exercises/a", "user information"),
        ("https://:pw@www.polaraccesslink.com/v3/exercises/a", "user information"),
        ("https://www.polaraccesslink.com@evil.test/v3/exercises/a", "user information"),
        ("/v3/exercises/a", "not absolute"),
        ("www.polaraccesslink.com/v3/exercises/a", "not absolute"),
        ("//www.polaraccesslink.com/v3/exercises/a", "not absolute"),
        ("ftp://www.polaraccesslink.com/v3/exercises/a", "not absolute http"),
        ("javascript:alert(1)", "not absolute"),
        ("", "not absolute"),
        ("https://www.polaraccesslink.com\\@evil.test/", "unparsable"),
        ("http://[::1", "unparsable"),
    ],
    ids=[
        "http-vs-https",
        "other-port",
        "other-host",
        "suffix-host",
        "trailing-dot",
        "evil-host",
        "user",
        "password",
        "userinfo-host-trick",
        "relative",
        "schemeless",
        "protocol-relative",
        "ftp",
        "javascript",
        "empty",
        "backslash",
        "broken",
    ],
)
def test_refuses_foreign_urls(url: str, match: str) -> None:
    with pytest.raises(ForeignUrlError, match=match):
        ensure_api_url(DEFAULT_API_URL, url)


def test_error_does_not_echo_credentials() -> None:
    with pytest.raises(ForeignUrlError) as info:
        ensure_api_url(DEFAULT_API_URL, "https://user:hunter2@evil.test/")
    assert "hunter2" not in str(info.value)


def _foreign_urls(server: FakeAccessLink, other: FakeAccessLink) -> list[str]:
    port = server.url.rsplit(":", 1)[1]
    return [
        f"{other.url}/v3/exercises/a",
        f"http://localhost:{port}/v3/exercises/a",
        f"https://127.0.0.1:{port}/v3/exercises/a",
        f"http://user:pw@127.0.0.1:{port}/v3/exercises/a",
        "/v3/exercises/a",
        "exercises/a",
    ]


async def test_fetch_notice_never_sends_the_token_elsewhere(
    server: FakeAccessLink, other_server: FakeAccessLink, client: AccessLinkClient
) -> None:
    for target in (server, other_server):
        target.reply("GET", "/v3/exercises/a", json_body={"id": "a"})
    for url in _foreign_urls(server, other_server):
        with pytest.raises(ForeignUrlError):
            await client.fetch_notice(TOKEN, url)
    assert server.requests == []
    assert other_server.requests == []


async def test_get_notice_exercise_never_sends_the_token_elsewhere(
    server: FakeAccessLink, other_server: FakeAccessLink, client: AccessLinkClient
) -> None:
    for target in (server, other_server):
        target.reply("GET", "/v3/exercises/a", json_body={"id": "a"})
    for url in _foreign_urls(server, other_server):
        notice = Notice(event=EventType.EXERCISE, user_id=1, timestamp=None, url=url, entity_id="a")
        with pytest.raises(ForeignUrlError):
            await client.get_notice_exercise(TOKEN, notice)
    assert server.requests == []
    assert other_server.requests == []
