"""Sleep and Nightly Recharge calls against a real local server."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    NightlyRecharge,
    Sleep,
)

from .conftest import TOKEN, FakeAccessLink
from .payloads import fixture

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

BEARER = f"Bearer {TOKEN}"
DAY = dt.date(2026, 11, 27)

type GetDay = Callable[[AccessLinkClient, str, dt.date], Awaitable[Any]]
type ListAll = Callable[[AccessLinkClient, str], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class Kind:
    """One dated data kind: where it lives, its fixtures and the client calls for it."""

    path: str
    one: str
    many: str
    key: str
    model: Any
    get: GetDay
    list_all: ListAll


@pytest.fixture(
    params=[
        pytest.param(
            Kind(
                "/v3/users/sleep",
                "sleep.json",
                "nights.json",
                "nights",
                Sleep,
                AccessLinkClient.get_sleep,
                AccessLinkClient.list_sleep,
            ),
            id="sleep",
        ),
        pytest.param(
            Kind(
                "/v3/users/nightly-recharge",
                "nightly_recharge.json",
                "recharges.json",
                "recharges",
                NightlyRecharge,
                AccessLinkClient.get_nightly_recharge,
                AccessLinkClient.list_nightly_recharge,
            ),
            id="nightly-recharge",
        ),
    ]
)
def kind(request: pytest.FixtureRequest) -> Kind:
    """Each dated kind in turn."""
    param: Kind = request.param
    return param


def _assert_get(server: FakeAccessLink, path: str) -> None:
    request = server.last
    assert (request.method, request.path, request.query) == ("GET", path, {})
    assert request.headers["Authorization"] == BEARER
    assert request.headers["Accept"] == "application/json"


async def test_get_by_date(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
) -> None:
    server.reply("GET", f"{kind.path}/2026-11-27", json_body=fixture(kind.one))
    found = await kind.get(client, TOKEN, DAY)
    assert found == kind.model.from_dict(fixture(kind.one))
    assert found.date == DAY
    _assert_get(server, f"{kind.path}/2026-11-27")


async def test_get_by_a_datetime_asks_for_its_date(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
) -> None:
    server.reply("GET", f"{kind.path}/2026-11-27", json_body=fixture(kind.one))
    await kind.get(client, TOKEN, dt.datetime(2026, 11, 27, 23, 59, tzinfo=dt.UTC))
    _assert_get(server, f"{kind.path}/2026-11-27")


@pytest.mark.parametrize("status", [204, 404])
async def test_get_no_data_for_the_date(
    server: FakeAccessLink,
    client: AccessLinkClient,
    status: int,
    kind: Kind,
) -> None:
    server.reply("GET", f"{kind.path}/2026-11-27", status)
    with pytest.raises(AccessLinkNotFoundError) as info:
        await kind.get(client, TOKEN, DAY)
    assert info.value.status == status


@pytest.mark.parametrize(
    "body", ['{"date": "soon"}', "[]", '"x"'], ids=["bad-date", "array", "string"]
)
async def test_get_unusable_body(
    server: FakeAccessLink,
    client: AccessLinkClient,
    body: str,
    kind: Kind,
) -> None:
    server.reply("GET", f"{kind.path}/2026-11-27", body=body)
    with pytest.raises(AccessLinkResponseError, match="unexpected"):
        await kind.get(client, TOKEN, DAY)


async def test_list(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
) -> None:
    server.reply("GET", kind.path, json_body=fixture(kind.many))
    found = await kind.list_all(client, TOKEN)
    assert found == [kind.model.from_dict(item) for item in fixture(kind.many)[kind.key]]
    assert [item.date for item in found] == [dt.date(2026, 11, 26), DAY]
    _assert_get(server, kind.path)


async def test_list_skips_unusable_items(
    server: FakeAccessLink,
    client: AccessLinkClient,
    caplog: pytest.LogCaptureFixture,
    kind: Kind,
) -> None:
    good = fixture(kind.one)
    server.reply("GET", kind.path, json_body={kind.key: [{"date": "soon"}, good, "x", None]})
    with caplog.at_level(logging.DEBUG):
        found = await kind.list_all(client, TOKEN)
    assert found == [kind.model.from_dict(good)]
    skipped = [record for record in caplog.records if "Skipping" in record.getMessage()]
    assert len(skipped) == 3
    assert all(record.levelno == logging.DEBUG for record in skipped)


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, None), (200, ""), (200, "{}"), (200, '{"nights": [], "recharges": []}')],
    ids=["no-content", "empty-body", "no-list", "empty-list"],
)
async def test_list_empty(
    server: FakeAccessLink,
    client: AccessLinkClient,
    status: int,
    body: str | None,
    kind: Kind,
) -> None:
    server.reply("GET", kind.path, status, body=body)
    assert await kind.list_all(client, TOKEN) == []


@pytest.mark.parametrize(
    "body", ["[]", '"x"', '{"nights": {}, "recharges": 5}'], ids=["array", "string", "not-a-list"]
)
async def test_list_unusable_body(
    server: FakeAccessLink,
    client: AccessLinkClient,
    body: str,
    kind: Kind,
) -> None:
    server.reply("GET", kind.path, body=body)
    with pytest.raises(AccessLinkResponseError, match=kind.key):
        await kind.list_all(client, TOKEN)


async def test_list_consent_missing(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
) -> None:
    server.reply("GET", kind.path, 403, json_body={"message": "consents missing"})
    with pytest.raises(AccessLinkConsentError):
        await kind.list_all(client, TOKEN)


async def test_empty_token_is_refused(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
) -> None:
    with pytest.raises(ValueError, match="access token"):
        await kind.list_all(client, "")
    with pytest.raises(ValueError, match="access token"):
        await kind.get(client, "", DAY)
    assert server.requests == []
