"""Daily activity and continuous heart rate: models, Polar's spec and the client calls."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    AccessLinkUser,
    ContinuousHeartRate,
    DailyActivity,
    HeartRateSample,
    InvalidDataError,
    Notice,
)

from .conftest import TOKEN, FakeAccessLink
from .openapi import example, load_spec, schema, validator
from .payloads import fixture

DAY = dt.date(2026, 11, 27)
BEARER = f"Bearer {TOKEN}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


# Models


def test_activity_full() -> None:
    assert DailyActivity.from_dict(fixture("activity.json")) == DailyActivity(
        date=DAY,
        start_time=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        end_time=dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=dt.UTC),
        active_duration=dt.timedelta(hours=3, minutes=11),
        inactive_duration=dt.timedelta(hours=18, minutes=23, seconds=30),
        daily_activity=89.1,
        calories=2500,
        active_calories=1500,
        steps=8823,
        inactivity_alert_count=1,
        distance_from_steps=4590.53,
    )


@pytest.mark.parametrize(
    ("data", "day"),
    [
        pytest.param({"start_time": "2026-11-27T08:15:30"}, DAY, id="start-time"),
        pytest.param({"start_time": None, "date": "2026-11-27"}, DAY, id="legacy-date"),
        pytest.param({"samples": {"date": "2026-11-27"}}, DAY, id="samples-date"),
        pytest.param({"start_time": "soon", "date": "2026-11-26"}, dt.date(2026, 11, 26), id="bad"),
    ],
)
def test_activity_day(data: dict[str, Any], day: dt.date) -> None:
    assert DailyActivity.from_dict(data).date == day


def test_activity_day_given_wins() -> None:
    activity = DailyActivity.from_dict(fixture("activity.json"), day=dt.date(2026, 11, 28))
    assert activity.date == dt.date(2026, 11, 28)


@pytest.mark.parametrize("data", [{}, {"start_time": "soon"}, {"start_time": 5}, []])
def test_activity_without_a_day(data: Any) -> None:
    with pytest.raises(InvalidDataError):
        DailyActivity.from_dict(data)


def test_activity_wrong_types_become_none() -> None:
    activity = DailyActivity.from_dict(
        {
            "start_time": "2026-11-27T00:00:00",
            "end_time": "not a time",
            "active_duration": "3 hours",
            "inactive_duration": None,
            "daily_activity": "89",
            "calories": True,
            "active_calories": 12.5,
            "steps": "8823",
            "inactivity_alert_count": None,
            "distance_from_steps": float("nan"),
        }
    )
    assert activity == DailyActivity(date=DAY, start_time=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))


def test_heart_rate_full() -> None:
    day = ContinuousHeartRate.from_dict(fixture("continuous_heart_rate.json"))
    assert day.date == DAY
    assert day.samples == (
        HeartRateSample(dt.time(0, 2, 8), 63),
        HeartRateSample(dt.time(3, 7, 8), 58),
        HeartRateSample(dt.time(12, 12, 8), 112),
        HeartRateSample(dt.time(21, 47, 8), 71),
    )


def test_heart_rate_unusable_samples_are_left_out_and_the_rest_sorted() -> None:
    day = ContinuousHeartRate.from_dict(
        {
            "date": "2026-11-27",
            "heart_rate_samples": [
                {"heart_rate": 70, "sample_time": "10:00:00"},
                {"heart_rate": 64, "sample_time": "09:55:00"},
                {"heart_rate": 0, "sample_time": "10:05:00"},
                {"heart_rate": 500, "sample_time": "10:10:00"},
                {"heart_rate": None, "sample_time": "10:15:00"},
                {"heart_rate": 66, "sample_time": "25:00:00"},
                {"heart_rate": 66},
                "x",
                None,
            ],
        }
    )
    assert day.samples == (
        HeartRateSample(dt.time(9, 55), 64),
        HeartRateSample(dt.time(10, 0), 70),
    )


@pytest.mark.parametrize("samples", [None, {}, "x"])
def test_heart_rate_without_samples(samples: Any) -> None:
    day = ContinuousHeartRate.from_dict({"date": "2026-11-27", "heart_rate_samples": samples})
    assert day == ContinuousHeartRate(date=DAY)


@pytest.mark.parametrize("data", [{}, {"date": "soon"}, {"date": 20261127}, "x"])
def test_heart_rate_without_a_date(data: Any) -> None:
    with pytest.raises(InvalidDataError):
        ContinuousHeartRate.from_dict(data)


# Polar's spec


def test_spec_paths(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert {"get"} <= paths["/v3/users/activities"].keys()
    assert {"204"} <= paths["/v3/users/activities/{date}"]["get"]["responses"].keys()
    assert {"404"} <= paths["/v3/users/continuous-heart-rate/{date}"]["get"]["responses"].keys()
    params = paths["/v3/users/continuous-heart-rate"]["get"]["parameters"]
    assert {param["name"] for param in params if param["required"]} == {"from", "to"}


def test_activity_example(spec: dict[str, Any]) -> None:
    data = example(spec, "activity-summary")
    validator(spec, "activity-summary").validate(data)
    activity = DailyActivity.from_dict(data)
    assert activity.date == dt.date(2025, 8, 13)
    assert activity.steps == 8823
    assert activity.active_duration == dt.timedelta(hours=3, minutes=11)
    assert activity.distance_from_steps == 4590.53


@pytest.mark.parametrize("name", ["activity-summary", "activity-summary-with-all-samples"])
def test_activity_model_covers_every_documented_field(spec: dict[str, Any], name: str) -> None:
    """Every documented field is a model field but the samples, which are never asked for."""
    documented = set(schema(spec, name)["properties"]) - {"samples"}
    assert set(DailyActivity.__dataclass_fields__) == documented | {"date"}


def test_heart_rate_example(spec: dict[str, Any]) -> None:
    data = schema(spec, "continuous-heartrate")["example"]
    validator(spec, "continuous-heartrate").validate(data)
    day = ContinuousHeartRate.from_dict(data)
    assert day.date == dt.date(2022, 9, 12)
    assert day.samples == (
        HeartRateSample(dt.time(0, 2, 8), 63),
        HeartRateSample(dt.time(0, 7, 8), 62),
    )


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("activity-summary-with-all-samples", "activity.json"),
        ("array-of-activity-summary-with-all-samples", "activities.json"),
        ("continuous-heartrate", "continuous_heart_rate.json"),
    ],
)
def test_fixtures_conform(spec: dict[str, Any], name: str, document: str) -> None:
    validator(spec, name).validate(fixture(document))


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("webhookPayloadActivitySummary", "/v3/users/activities/2022-09-30"),
        ("webhookPayloadContinuousHeartRate", "/v3/users/continuous-heart-rate/2022-09-30"),
    ],
)
def test_notice_examples_name_the_date_fetched(spec: dict[str, Any], name: str, path: str) -> None:
    notice = Notice.from_dict(example(spec, name))
    assert notice.date == dt.date(2022, 9, 30)
    assert notice.url is not None
    assert notice.url.endswith(path)


# Client calls


def _assert_get(server: FakeAccessLink, path: str, query: dict[str, str] | None = None) -> None:
    request = server.last
    assert (request.method, request.path, request.query) == ("GET", path, query or {})
    assert request.headers["Authorization"] == BEARER


async def test_get_activity(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/users/activities/2026-11-27", json_body=fixture("activity.json"))
    found = await client.get_activity(TOKEN, dt.datetime(2026, 11, 27, 23, 0, tzinfo=dt.UTC))
    assert found == DailyActivity.from_dict(fixture("activity.json"))
    _assert_get(server, "/v3/users/activities/2026-11-27")


async def test_get_activity_is_of_the_date_asked(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """A summary whose start lies in another day (UTC) is still the day asked for."""
    body = fixture("activity.json") | {"start_time": "2026-11-26T22:00:00"}
    server.reply("GET", "/v3/users/activities/2026-11-27", json_body=body)
    assert (await client.get_activity(TOKEN, DAY)).date == DAY


@pytest.mark.parametrize("status", [204, 404])
async def test_get_activity_none(
    server: FakeAccessLink, client: AccessLinkClient, status: int
) -> None:
    server.reply("GET", "/v3/users/activities/2026-11-27", status)
    with pytest.raises(AccessLinkNotFoundError):
        await client.get_activity(TOKEN, DAY)


@pytest.mark.parametrize("body", ["[]", '"x"'])
async def test_get_activity_unusable(
    server: FakeAccessLink, client: AccessLinkClient, body: str
) -> None:
    server.reply("GET", "/v3/users/activities/2026-11-27", body=body)
    with pytest.raises(AccessLinkResponseError, match="unexpected activity"):
        await client.get_activity(TOKEN, DAY)


async def test_list_activities(
    server: FakeAccessLink, client: AccessLinkClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(
        "GET", "/v3/users/activities", json_body=[*fixture("activities.json"), {}, "x", None]
    )
    with caplog.at_level(logging.DEBUG):
        found = await client.list_activities(TOKEN)
    assert [(item.date, item.steps) for item in found] == [
        (dt.date(2026, 11, 26), 6120),
        (DAY, 8823),
    ]
    assert sum("Skipping" in record.getMessage() for record in caplog.records) == 3
    _assert_get(server, "/v3/users/activities")


@pytest.mark.parametrize(("status", "body"), [(204, None), (200, ""), (200, "[]")])
async def test_list_activities_empty(
    server: FakeAccessLink, client: AccessLinkClient, status: int, body: str | None
) -> None:
    server.reply("GET", "/v3/users/activities", status, body=body)
    assert await client.list_activities(TOKEN) == []


async def test_list_activities_unusable(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/users/activities", json_body={"activities": []})
    with pytest.raises(AccessLinkResponseError, match="activity list"):
        await client.list_activities(TOKEN)


async def test_get_heart_rate(server: FakeAccessLink, client: AccessLinkClient) -> None:
    path = "/v3/users/continuous-heart-rate/2026-11-27"
    server.reply("GET", path, json_body=fixture("continuous_heart_rate.json"))
    found = await client.get_continuous_heart_rate(TOKEN, DAY)
    assert found == ContinuousHeartRate.from_dict(fixture("continuous_heart_rate.json"))
    _assert_get(server, path)


@pytest.mark.parametrize("status", [204, 404])
async def test_get_heart_rate_none(
    server: FakeAccessLink, client: AccessLinkClient, status: int
) -> None:
    server.reply("GET", "/v3/users/continuous-heart-rate/2026-11-27", status)
    with pytest.raises(AccessLinkNotFoundError):
        await client.get_continuous_heart_rate(TOKEN, DAY)


@pytest.mark.parametrize(
    ("body", "dates"),
    [
        pytest.param(
            fixture("continuous_heart_rates.json"), [dt.date(2026, 11, 26), DAY], id="wrapped"
        ),
        pytest.param(fixture("continuous_heart_rate.json"), [DAY], id="one-day-as-the-spec"),
        pytest.param({"heart_rates": [{"date": "soon"}, "x"]}, [], id="unusable-days"),
        pytest.param({}, [], id="no-days"),
    ],
)
async def test_list_heart_rate(
    server: FakeAccessLink, client: AccessLinkClient, body: Any, dates: list[dt.date]
) -> None:
    server.reply("GET", "/v3/users/continuous-heart-rate", json_body=body)
    found = await client.list_continuous_heart_rate(TOKEN, dt.date(2026, 11, 26), DAY)
    assert [item.date for item in found] == dates
    _assert_get(
        server, "/v3/users/continuous-heart-rate", {"from": "2026-11-26", "to": "2026-11-27"}
    )


async def test_list_heart_rate_unusable(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/users/continuous-heart-rate", body="[]")
    with pytest.raises(AccessLinkResponseError, match="heart_rates"):
        await client.list_continuous_heart_rate(TOKEN, DAY, DAY)


async def test_user_calls_carry_a_fresh_token(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    asked: list[str] = []

    async def tokens() -> str:
        asked.append("token")
        return TOKEN

    user = AccessLinkUser(client, 1, tokens)
    server.reply("GET", "/v3/users/activities", json_body=fixture("activities.json"))
    server.reply("GET", "/v3/users/activities/2026-11-27", json_body=fixture("activity.json"))
    server.reply(
        "GET", "/v3/users/continuous-heart-rate", json_body=fixture("continuous_heart_rates.json")
    )
    server.reply(
        "GET",
        "/v3/users/continuous-heart-rate/2026-11-27",
        json_body=fixture("continuous_heart_rate.json"),
    )
    assert len(await user.list_activities()) == 2
    assert (await user.get_activity(DAY)).steps == 8823
    assert len(await user.list_continuous_heart_rate(DAY, DAY)) == 2
    assert (await user.get_continuous_heart_rate(DAY)).date == DAY
    assert asked == ["token"] * 4
    assert all(request.headers["Authorization"] == BEARER for request in server.requests)


def test_spec_lists_activities_by_range(spec: dict[str, Any]) -> None:
    """Polar's activity list takes from/to, at most 28 days apart and 365 days back."""
    listing = spec["paths"]["/v3/users/activities"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} >= {"from", "to"}
    assert "maximum range between from and to is 28 days" in listing["description"]
    assert "365 days" in listing["description"]


async def test_list_activities_between(server: FakeAccessLink, client: AccessLinkClient) -> None:
    server.reply("GET", "/v3/users/activities", json_body=fixture("activities.json"))
    found = await client.list_activities_between(TOKEN, dt.date(2026, 10, 31), DAY)
    assert [item.date for item in found] == [dt.date(2026, 11, 26), DAY]
    _assert_get(server, "/v3/users/activities", {"from": "2026-10-31", "to": "2026-11-27"})


@pytest.mark.parametrize(
    ("first", "last"),
    [(dt.date(2026, 10, 29), DAY), (DAY, dt.date(2026, 11, 26))],
    ids=["longer than 28 days", "backwards"],
)
async def test_list_activities_between_refuses_a_range_before_asking(
    server: FakeAccessLink, client: AccessLinkClient, first: dt.date, last: dt.date
) -> None:
    with pytest.raises(ValueError, match="28 days"):
        await client.list_activities_between(TOKEN, first, last)
    assert server.requests == []
