"""URL checks: a user's token only ever goes to the configured AccessLink API."""

from __future__ import annotations

import pytest
from yarl import URL

from custom_components.polar_flow.accesslink import AccessLinkClient, EventType, Notice
from custom_components.polar_flow.accesslink.urlguard import same_endpoint

from .conftest import TOKEN, FakeAccessLink

EXPECTED = URL("https://www.polaraccesslink.com/v3/exercises/aQlC83")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.polaraccesslink.com/v3/exercises/aQlC83",
        "https://polaraccesslink.com/v3/exercises/aQlC83",
        "https://www.polaraccesslink.com:443/v3/exercises/aQlC83",
        "HTTPS://WWW.PolarAccessLink.com/v3/exercises/aQlC83",
        "https://www.polaraccesslink.com/v3/exercises/aQlC83?zones=true#x",
    ],
    ids=["plain", "bare-host", "explicit-default-port", "case", "query-fragment"],
)
def test_same_endpoint(url: str) -> None:
    assert same_endpoint(EXPECTED, url)


def test_same_endpoint_bare_base() -> None:
    assert same_endpoint(
        URL("https://polaraccesslink.com/v3/exercises/a"),
        "https://www.polaraccesslink.com/v3/exercises/a",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.polaraccesslink.com/v3/users/1",
        "https://www.polaraccesslink.com/v3/exercises/../users/1",
        "https://www.polaraccesslink.com/v3/exercises/%2e%2e/users/1",
        "https://www.polaraccesslink.com/v3/exercises%2faQlC83",
        "https://www.polaraccesslink.com/v3/exercises/aQlC83/",
        "http://www.polaraccesslink.com/v3/exercises/aQlC83",
        "https://www.polaraccesslink.com:8443/v3/exercises/aQlC83",
        "https://www.polaraccesslink.com.evil.test/v3/exercises/aQlC83",
        "https://evil.test/v3/exercises/aQlC83",
        "https://wwwpolaraccesslink.com/v3/exercises/aQlC83",
        "https://user@www.polaraccesslink.com/v3/exercises/aQlC83",
        "https://www.polaraccesslink.com@evil.test/v3/exercises/aQlC83",
        "/v3/exercises/aQlC83",
        "//www.polaraccesslink.com/v3/exercises/aQlC83",
        "",
        "http://[::1",
    ],
    ids=[
        "users",
        "dot-dot",
        "encoded-dots",
        "encoded-slash",
        "trailing-slash",
        "http-vs-https",
        "other-port",
        "suffix-host",
        "evil-host",
        "www-without-dot",
        "user",
        "userinfo-host-trick",
        "relative",
        "protocol-relative",
        "empty",
        "broken",
    ],
)
def test_other_endpoint(url: str) -> None:
    assert not same_endpoint(EXPECTED, url)


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


async def test_get_notice_exercise_never_sends_the_token_elsewhere(
    server: FakeAccessLink, other_server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """Whatever a notice's url names, the exercise is fetched from the configured API."""
    for target in (server, other_server):
        target.reply("GET", "/v3/exercises/a", json_body={"id": "a"})
    urls = _foreign_urls(server, other_server)
    for url in urls:
        notice = Notice(event=EventType.EXERCISE, user_id=1, timestamp=None, url=url, entity_id="a")
        assert (await client.get_notice_exercise(TOKEN, notice)).id == "a"
    assert [request.path for request in server.requests] == ["/v3/exercises/a"] * len(urls)
    assert other_server.requests == []
