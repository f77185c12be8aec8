"""Physical information: the model against Polar's spec, the client call and the user's call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    AccessLinkUser,
    InvalidDataError,
    PhysicalInfo,
)

from .conftest import TOKEN, FakeAccessLink
from .openapi import example, load_spec, validator
from .payloads import fixture

PATH = "/v3/users/physical-info"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


def test_spec_serves_one_object(spec: dict[str, Any]) -> None:
    """The endpoint answers a single physical-info object, not a list."""
    answer = spec["paths"][PATH]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/physical-info"}


def test_spec_example(spec: dict[str, Any]) -> None:
    data = example(spec, "physical-info")
    validator(spec, "physical-info").validate(data)
    assert PhysicalInfo.from_dict(data) == PhysicalInfo(
        weight=70.5,
        height=175.0,
        created=dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC),
        modified=dt.datetime(2024, 6, 10, 12, tzinfo=dt.UTC),
        maximum_heart_rate=190,
        resting_heart_rate=60,
        aerobic_threshold=140,
        anaerobic_threshold=170,
        vo2_max=50,
        weight_source="SOURCE_USER",
        training_background="REGULAR",
        typical_day="MOSTLY_MOVING",
        sleep_goal=dt.timedelta(hours=8),
    )


def test_every_spec_field_is_parsed_or_knowingly_left(spec: dict[str, Any]) -> None:
    """Every property of the schema is a field, except the personal ones left out on purpose."""
    properties = set(spec["components"]["schemas"]["physical-info"]["properties"])
    assert properties - set(PhysicalInfo.__dataclass_fields__) == {"birthday", "gender"}


def test_fixture_is_valid_and_leaves_out_personal_data(spec: dict[str, Any]) -> None:
    data = fixture("physical_info.json")
    validator(spec, "physical-info").validate(data)
    info = PhysicalInfo.from_dict(data)
    assert info.sleep_goal == dt.timedelta(hours=7, minutes=30)
    assert "1990" not in repr(info)
    assert "FEMALE" not in repr(info)


@pytest.mark.parametrize(
    "data",
    [
        {},
        dict.fromkeys(fixture("physical_info.json")),
        {
            "weight": "72",
            "height": True,
            "created": "yesterday",
            "modified": 5,
            "maximum_heart_rate": 188.5,
            "resting_heart_rate": "52",
            "aerobic_threshold": [],
            "anaerobic_threshold": {},
            "vo2_max": float("nan"),
            "weight_source": 3,
            "training_background": None,
            "typical_day": False,
            "sleep_goal": "8 hours",
        },
    ],
    ids=["empty", "nulls", "wrong-types"],
)
def test_missing_or_wrong_values_are_none(data: dict[str, Any]) -> None:
    assert PhysicalInfo.from_dict(data) == PhysicalInfo()


def test_unknown_enum_values_are_kept_raw() -> None:
    info = PhysicalInfo.from_dict({"weight_source": "SOURCE_SCALE", "typical_day": "ASLEEP"})
    assert (info.weight_source, info.typical_day) == ("SOURCE_SCALE", "ASLEEP")


def test_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidDataError):
        PhysicalInfo.from_dict([])  # type: ignore[arg-type]


async def test_get_physical_info(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", PATH, json_body=fixture("physical_info.json"))
    info = await client.get_physical_info(TOKEN)
    assert info == PhysicalInfo.from_dict(fixture("physical_info.json"))
    request = server.last
    assert (request.method, request.path, request.query) == ("GET", PATH, {})
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status", [204, 404])
async def test_no_physical_info(
    server: FakeAccessLink, client: AccessLinkClient, status: int
) -> None:
    server.reply("GET", PATH, status)
    with pytest.raises(AccessLinkNotFoundError):
        await client.get_physical_info(TOKEN)


async def test_physical_info_that_is_a_list(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    server.reply("GET", PATH, json_body=[fixture("physical_info.json")])
    with pytest.raises(AccessLinkResponseError):
        await client.get_physical_info(TOKEN)


async def test_user_asks_a_token_first(server: FakeAccessLink, client: AccessLinkClient) -> None:
    async def token() -> str:
        return "fresh-token"

    server.reply("GET", PATH, json_body=fixture("physical_info.json"))
    info = await AccessLinkUser(client, 475, token).get_physical_info()
    assert info.weight == 72.4
    assert server.last.headers["Authorization"] == "Bearer fresh-token"
