"""AccessLinkUser: one account's calls, each with a token asked for just before it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkUser,
    Exercise,
    InvalidIdError,
    NightlyRecharge,
    Sleep,
)

from .conftest import FakeAccessLink
from .payloads import EXERCISE, EXERCISE_WITH_DETAILS, fixture

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

USER_ID = 475
DAY = dt.date(2026, 11, 27)


class TokenSource:
    """A token provider that hands out a new token on every call, like a refreshing session."""

    def __init__(self) -> None:
        """Start before the first token."""
        self.calls = 0

    async def __call__(self) -> str:
        """Return the next token."""
        self.calls += 1
        return f"token-{self.calls}"


class ReauthNeededError(Exception):
    """What an integration's provider raises when the token cannot be had."""


@pytest.fixture
def tokens() -> TokenSource:
    """Count and number the tokens handed out."""
    return TokenSource()


@pytest.fixture
def user(client: AccessLinkClient, tokens: TokenSource) -> AccessLinkUser:
    """Bind the client to one account."""
    return AccessLinkUser(client, USER_ID, tokens)


def _program(server: FakeAccessLink) -> None:
    """Answer every call an AccessLinkUser makes."""
    server.reply("GET", "/v3/exercises", json_body=[EXERCISE])
    server.reply("GET", "/v3/exercises/Zx9Qa1", json_body=EXERCISE_WITH_DETAILS)
    server.reply("GET", "/v3/users/sleep", json_body=fixture("nights.json"))
    server.reply("GET", "/v3/users/sleep/2026-11-27", json_body=fixture("sleep.json"))
    server.reply("GET", "/v3/users/nightly-recharge", json_body=fixture("recharges.json"))
    server.reply(
        "GET", "/v3/users/nightly-recharge/2026-11-27", json_body=fixture("nightly_recharge.json")
    )
    server.reply("GET", "/v3/users/activities", json_body=fixture("activities.json"))
    server.reply("GET", "/v3/users/cardio-load/period/days/30", json_body=[])
    server.reply("DELETE", f"/v3/users/{USER_ID}", 204)


CALLS: list[tuple[str, Callable[[AccessLinkUser], Awaitable[Any]], str, str]] = [
    ("list_exercises", lambda user: user.list_exercises(), "GET", "/v3/exercises"),
    ("get_exercise", lambda user: user.get_exercise("Zx9Qa1"), "GET", "/v3/exercises/Zx9Qa1"),
    ("list_sleep", lambda user: user.list_sleep(), "GET", "/v3/users/sleep"),
    ("get_sleep", lambda user: user.get_sleep(DAY), "GET", "/v3/users/sleep/2026-11-27"),
    (
        "list_nightly_recharge",
        lambda user: user.list_nightly_recharge(),
        "GET",
        "/v3/users/nightly-recharge",
    ),
    (
        "get_nightly_recharge",
        lambda user: user.get_nightly_recharge(DAY),
        "GET",
        "/v3/users/nightly-recharge/2026-11-27",
    ),
    (
        "list_activities_between",
        lambda user: user.list_activities_between(DAY - dt.timedelta(days=27), DAY),
        "GET",
        "/v3/users/activities",
    ),
    (
        "list_cardio_load_days",
        lambda user: user.list_cardio_load_days(30),
        "GET",
        "/v3/users/cardio-load/period/days/30",
    ),
    ("delete", lambda user: user.delete(), "DELETE", f"/v3/users/{USER_ID}"),
]


def test_properties(client: AccessLinkClient, user: AccessLinkUser) -> None:
    assert user.user_id == USER_ID
    assert user.client is client


async def test_every_request_asks_for_a_fresh_token(
    server: FakeAccessLink, user: AccessLinkUser, tokens: TokenSource
) -> None:
    """Each call asks the provider once, right before its request, and sends that token."""
    _program(server)
    for _, call, _, _ in CALLS:
        await call(user)
    sent = [(request.method, request.path) for request in server.requests]
    assert sent == [(method, path) for _, _, method, path in CALLS]
    authorizations = [request.headers["Authorization"] for request in server.requests]
    assert authorizations == [f"Bearer token-{n}" for n in range(1, len(CALLS) + 1)]
    assert tokens.calls == len(CALLS)


async def test_answers_are_the_clients_models(server: FakeAccessLink, user: AccessLinkUser) -> None:
    _program(server)
    assert await user.list_exercises() == [Exercise.from_dict(EXERCISE)]
    exercise = await user.get_exercise("Zx9Qa1", zones=True)
    assert exercise == Exercise.from_dict(EXERCISE_WITH_DETAILS)
    assert server.requests[-1].query == {"zones": "true"}
    nights = await user.list_sleep()
    assert [sleep.date for sleep in nights] == [dt.date(2026, 11, 26), DAY]
    assert await user.get_sleep(DAY) == Sleep.from_dict(fixture("sleep.json"))
    recharges = await user.list_nightly_recharge()
    assert [recharge.ans_charge for recharge in recharges] == [-4.8, 2.5]
    recharge = await user.get_nightly_recharge(DAY)
    assert recharge == NightlyRecharge.from_dict(fixture("nightly_recharge.json"))
    assert await user.delete() is None


async def test_list_exercises_passes_its_flags(
    server: FakeAccessLink, user: AccessLinkUser
) -> None:
    _program(server)
    await user.list_exercises(samples=True, zones=True, route=True)
    assert server.last.query == {"samples": "true", "zones": "true", "route": "true"}


@pytest.mark.parametrize(
    "exercise_id",
    ["", ".", "..", "a/b", "%2e%2e", "a b", "a?b", "ä", "x" * 129, "a\n"],
    ids=["empty", "dot", "dot-dot", "slash", "encoded", "space", "query", "umlaut", "long", "nl"],
)
async def test_get_exercise_refuses_a_bad_id_before_asking(
    server: FakeAccessLink, user: AccessLinkUser, tokens: TokenSource, exercise_id: str
) -> None:
    """An id that is not one plain path segment is refused: no token asked, nothing sent."""
    with pytest.raises(InvalidIdError):
        await user.get_exercise(exercise_id)
    assert server.requests == []
    assert tokens.calls == 0


@pytest.mark.parametrize(("name", "call", "method", "path"), CALLS, ids=[c[0] for c in CALLS])
async def test_provider_error_propagates_unchanged(
    server: FakeAccessLink,
    client: AccessLinkClient,
    name: str,
    call: Callable[[AccessLinkUser], Awaitable[Any]],
    method: str,
    path: str,
) -> None:
    """What the provider raises reaches the caller as it is, and nothing is sent."""
    failure = ReauthNeededError("sign in again")

    async def refuse() -> str:
        raise failure

    with pytest.raises(ReauthNeededError) as info:
        await call(AccessLinkUser(client, USER_ID, refuse))
    assert info.value is failure
    assert server.requests == []


async def test_rejected_token_is_the_clients_error(
    server: FakeAccessLink, user: AccessLinkUser
) -> None:
    server.reply("GET", "/v3/users/sleep", 401, json_body={"message": "invalid token"})
    with pytest.raises(AccessLinkAuthError):
        await user.list_sleep()


async def test_empty_token_from_the_provider_is_refused(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    async def empty() -> str:
        return ""

    with pytest.raises(ValueError, match="access token"):
        await AccessLinkUser(client, USER_ID, empty).list_sleep()
    assert server.requests == []


def test_repr_names_the_account_only(user: AccessLinkUser) -> None:
    assert repr(user) == f"AccessLinkUser(user_id={USER_ID})"
