"""Cardio load: the model against Polar's spec, the client calls and the user's calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkResponseError,
    AccessLinkUser,
    CardioLoad,
    CardioLoadLevels,
    InvalidDataError,
)

from .conftest import TOKEN, FakeAccessLink
from .openapi import example, load_spec, schema, validator
from .payloads import fixture

PATH = "/v3/users/cardio-load"
DAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


def test_spec_serves_lists(spec: dict[str, Any]) -> None:
    """Both the 28 days and a single date come as a list of cardio loads."""
    for path in (PATH, f"{PATH}/{{date}}"):
        answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": "#/components/schemas/cardio-load-schema"}
    assert schema(spec, "cardio-load-schema")["type"] == "array"


def test_spec_example(spec: dict[str, Any]) -> None:
    (data,) = example(spec, "cardio-load-schema")
    validator(spec, "cardio-load-schema").validate([data])
    assert CardioLoad.from_dict(data) == CardioLoad(
        date=dt.date(2023, 1, 1),
        cardio_load_status="LOAD_STATUS_NOT_AVAILABLE",
        cardio_load=0.2,
        strain=0.3,
        tolerance=0.4,
        cardio_load_ratio=0.1,
        cardio_load_level=CardioLoadLevels(
            very_low=0.1, low=0.1, medium=0.1, high=0.1, very_high=0.1
        ),
    )


def test_every_spec_field_is_parsed(spec: dict[str, Any]) -> None:
    properties = set(schema(spec, "cardio-load")["properties"])
    assert properties == set(CardioLoad.__dataclass_fields__)
    levels = {name.replace("-", "_") for name in schema(spec, "cardio-load-levels")["properties"]}
    assert levels == set(CardioLoadLevels.__dataclass_fields__)


def test_fixture_is_valid(spec: dict[str, Any]) -> None:
    data = fixture("cardio_loads.json")
    validator(spec, "cardio-load-schema").validate(data)
    loads = [CardioLoad.from_dict(item) for item in data]
    assert [load.calculated for load in loads] == [True, True]
    assert loads[1].cardio_load_level == CardioLoadLevels(
        very_low=20.5, low=45.0, medium=80.2, high=120.9, very_high=165.3
    )


def test_spec_statuses_are_kept_and_unknown_ones_raw(spec: dict[str, Any]) -> None:
    for status in [*schema(spec, "cardio-load-status-enum")["enum"], "SOMETHING_NEW"]:
        load = CardioLoad.from_dict({"date": "2026-11-27", "cardio_load_status": status})
        assert load.cardio_load_status == status


@pytest.mark.parametrize(
    ("data", "calculated"),
    [
        ({"date": "2026-11-27"}, False),
        ({"date": "2026-11-27", "cardio_load_status": "LOAD_STATUS_NOT_AVAILABLE"}, False),
        ({"date": "2026-11-27", "cardio_load_status": "MAINTAINING"}, True),
        ({"date": "2026-11-27", "tolerance": 12.5}, True),
    ],
)
def test_calculated(data: dict[str, Any], calculated: bool) -> None:
    assert CardioLoad.from_dict(data).calculated is calculated


def test_nulls_and_wrong_types_are_none() -> None:
    load = CardioLoad.from_dict(
        {
            "date": "2026-11-27",
            "cardio_load_status": 3,
            "cardio_load": "96",
            "strain": None,
            "tolerance": True,
            "cardio_load_ratio": float("inf"),
            "cardio_load_level": [1, 2],
        }
    )
    assert load == CardioLoad(date=DAY)
    levels = CardioLoad.from_dict({"date": "2026-11-27", "cardio_load_level": {"low": "x"}})
    assert levels.cardio_load_level == CardioLoadLevels()


@pytest.mark.parametrize("data", [{}, {"date": None}, {"date": "27.11.2026"}, []])
def test_without_a_date_is_refused(data: Any) -> None:
    with pytest.raises(InvalidDataError):
        CardioLoad.from_dict(data)


async def test_list_cardio_load(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", PATH, json_body=[*fixture("cardio_loads.json"), {"cardio_load": 1}, 7])
    loads = await client.list_cardio_load(TOKEN)
    assert [load.date for load in loads] == [dt.date(2026, 11, 26), DAY]
    assert (server.last.method, server.last.path, server.last.query) == ("GET", PATH, {})
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_get_cardio_load_by_date(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", f"{PATH}/2026-11-27", json_body=fixture("cardio_loads.json")[1:])
    (load,) = await client.get_cardio_load(TOKEN, DAY)
    assert load == CardioLoad.from_dict(fixture("cardio_loads.json")[1])
    assert server.last.path == f"{PATH}/2026-11-27"


async def test_no_content_is_no_days(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", f"{PATH}/2026-11-27", 204)
    assert await client.get_cardio_load(TOKEN, DAY) == []


async def test_an_object_is_not_a_list(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", PATH, json_body=fixture("cardio_loads.json")[1])
    with pytest.raises(AccessLinkResponseError):
        await client.list_cardio_load(TOKEN)


async def test_user_asks_a_token_before_each_call(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    tokens = iter(["token-1", "token-2"])

    async def token() -> str:
        return next(tokens)

    server.reply("GET", PATH, json_body=fixture("cardio_loads.json"))
    server.reply("GET", f"{PATH}/2026-11-27", json_body=fixture("cardio_loads.json")[1:])
    user = AccessLinkUser(client, 475, token)
    assert len(await user.list_cardio_load()) == 2
    assert len(await user.get_cardio_load(DAY)) == 1
    authorizations = [request.headers["Authorization"] for request in server.requests]
    assert authorizations == ["Bearer token-1", "Bearer token-2"]


def test_spec_serves_six_months_by_days(spec: dict[str, Any]) -> None:
    """The period of days counts back from today, up to 180 days, as a list of cardio loads."""
    period = spec["paths"][f"{PATH}/period/days/{{days}}"]["get"]
    (days,) = period["parameters"]
    assert (days["schema"]["minimum"], days["schema"]["maximum"]) == (1, 180)
    answer = period["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/cardio-load-schema"}


async def test_list_cardio_load_days(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", f"{PATH}/period/days/180", json_body=fixture("cardio_loads.json"))
    loads = await client.list_cardio_load_days(TOKEN, 180)
    assert [load.date for load in loads] == [dt.date(2026, 11, 26), DAY]
    assert (server.last.method, server.last.path) == ("GET", f"{PATH}/period/days/180")
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("days", [0, 181])
async def test_list_cardio_load_days_refuses_a_period_before_asking(
    server: FakeAccessLink, client: AccessLinkClient, days: int
) -> None:
    with pytest.raises(ValueError, match="180 days"):
        await client.list_cardio_load_days(TOKEN, days)
    assert server.requests == []
