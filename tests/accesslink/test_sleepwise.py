"""SleepWise alertness and circadian bedtime: models against the spec, and the client calls."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkResponseError,
    AccessLinkUser,
    Alertness,
    AlertnessHour,
    CircadianBedtime,
)

from .conftest import TOKEN, FakeAccessLink
from .openapi import example, load_spec, schema, validator
from .payloads import fixture

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
START = dt.date(2026, 11, 28)
END = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


def test_alertness_example(spec: dict[str, Any]) -> None:
    """Polar's example parses to aware times: UTC as documented, shown at the sleep's offset."""
    data = example(spec, "alertness")
    validator(spec, "alertness").validate(data)
    assert Alertness.from_dict(data) == Alertness(
        period_start_time=dt.datetime(2022, 11, 20, 22, 52, 20, tzinfo=PLUS_TWO),
        period_end_time=dt.datetime(2022, 11, 21, 21, 15, 52, tzinfo=PLUS_TWO),
        grade=9.9,
        grade_validity_seconds=57600,
        grade_type="GRADE_TYPE_PRIMARY",
        grade_classification="GRADE_CLASSIFICATION_STRONG",
        validity="VALIDITY_ESTIMATE",
        sleep_inertia="SLEEP_INERTIA_MILD",
        sleep_type="SLEEP_TYPE_PRIMARY",
        result_type="ALERTNESS_TYPE_HISTORY",
        sleep_period_start_time=dt.datetime(2022, 11, 20, 22, 52, 20, 570000, tzinfo=PLUS_TWO),
        sleep_period_end_time=dt.datetime(2022, 11, 21, 6, 11, 20, 570000, tzinfo=PLUS_TWO),
        sleep_timezone_offset_minutes=120,
        hourly_data=(
            AlertnessHour(
                start_time=dt.datetime(2022, 11, 21, 6, 12, tzinfo=PLUS_TWO),
                end_time=dt.datetime(2022, 11, 21, 7, 0, tzinfo=PLUS_TWO),
                alertness_level="ALERTNESS_LEVEL_LOW",
                validity="VALIDITY_ESTIMATE",
            ),
        ),
    )


def test_circadian_bedtime_example(spec: dict[str, Any]) -> None:
    """Polar's example parses to aware times at the sleep's offset."""
    data = example(spec, "circadian-bedtime")
    validator(spec, "circadian-bedtime").validate(data)
    bedtime = CircadianBedtime.from_dict(data)
    assert bedtime == CircadianBedtime(
        period_start_time=dt.datetime(2022, 11, 20, 23, 18, 30, tzinfo=PLUS_TWO),
        period_end_time=dt.datetime(2022, 11, 21, 7, 18, 30, tzinfo=PLUS_TWO),
        validity="VALIDITY_ESTIMATE",
        quality="CIRCADIAN_BEDTIME_QUALITY_COMPROMISED",
        result_type="CIRCADIAN_BEDTIME_TYPE_HISTORY",
        preferred_sleep_period_start_time=dt.datetime(2022, 11, 20, 23, 18, 30, tzinfo=PLUS_TWO),
        preferred_sleep_period_end_time=dt.datetime(2022, 11, 21, 7, 18, 30, tzinfo=PLUS_TWO),
        sleep_gate_start_time=dt.datetime(2022, 11, 20, 23, 3, 30, tzinfo=PLUS_TWO),
        sleep_gate_end_time=dt.datetime(2022, 11, 20, 23, 33, 30, tzinfo=PLUS_TWO),
        sleep_timezone_offset_minutes=120,
    )
    assert bedtime.sleep_gate_start_time == dt.datetime(2022, 11, 20, 21, 3, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("alertness", Alertness),
        ("circadian-bedtime", CircadianBedtime),
        ("alertness-hourly-data", AlertnessHour),
    ],
)
def test_models_cover_every_documented_field(spec: dict[str, Any], name: str, model: Any) -> None:
    """Every documented field is a model field, and nothing else."""
    assert set(model.__dataclass_fields__) == set(schema(spec, name)["properties"])


@pytest.mark.parametrize(
    ("name", "document"),
    [("alertness", "alertness.json"), ("circadian-bedtime", "circadian_bedtime.json")],
)
def test_served_fixtures_conform(spec: dict[str, Any], name: str, document: str) -> None:
    """The fixtures are arrays of periods exactly as Polar documents them."""
    check = validator(spec, name)
    for period in fixture(document):
        check.validate(period)


@pytest.mark.parametrize(
    "path",
    [
        "/v3/users/sleepwise/alertness",
        "/v3/users/sleepwise/alertness/date",
        "/v3/users/sleepwise/circadian-bedtime",
        "/v3/users/sleepwise/circadian-bedtime/date",
    ],
)
def test_spec_paths(spec: dict[str, Any], path: str) -> None:
    """Each endpoint answers an array of periods, or 204 when there are none."""
    get = spec["paths"][path]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "204" in get["responses"]
    if path.endswith("/date"):
        assert {param["name"] for param in get["parameters"]} == {"from", "to"}


def test_offset_written_in_the_time_is_kept() -> None:
    """A time that names its own offset is that instant; a naive one is UTC."""
    bedtime = CircadianBedtime.from_dict(
        {
            "period_start_time": "2026-11-29T23:10:00+02:00",
            "sleep_gate_start_time": "2026-11-29T20:55:00",
        }
    )
    assert bedtime.period_start_time == dt.datetime(2026, 11, 29, 21, 10, tzinfo=dt.UTC)
    assert bedtime.sleep_gate_start_time == dt.datetime(2026, 11, 29, 20, 55, tzinfo=dt.UTC)
    assert bedtime.sleep_gate_start_time.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("offset", [None, "120", 120.5, 15 * 60, True])
def test_unusable_offset_leaves_times_in_utc(offset: Any) -> None:
    """An offset that is not a time zone's is ignored; the times stay correct, in UTC."""
    alertness = Alertness.from_dict(
        {"period_start_time": "2026-11-28T21:12:30", "sleep_timezone_offset_minutes": offset}
    )
    assert alertness.period_start_time == dt.datetime(2026, 11, 28, 21, 12, 30, tzinfo=dt.UTC)
    assert alertness.period_start_time.utcoffset() == dt.timedelta(0)


def test_junk_fields_become_none_and_unknown_enums_are_kept() -> None:
    """Nulls, wrong types and values Polar may add later never crash the parse."""
    alertness = Alertness.from_dict(
        {
            "period_start_time": "2026-11-28T21:12:30",
            "period_end_time": "tomorrow",
            "grade": "9.1",
            "grade_validity_seconds": None,
            "grade_classification": "GRADE_CLASSIFICATION_LEGENDARY",
            "validity": 3,
            "sleep_inertia": None,
            "hourly_data": [None, "x", {"start_time": 5, "alertness_level": "NEW_LEVEL"}],
        }
    )
    assert alertness.grade is None
    assert alertness.period_end_time is None
    assert alertness.grade_validity_seconds is None
    assert alertness.grade_classification == "GRADE_CLASSIFICATION_LEGENDARY"
    assert (alertness.validity, alertness.sleep_inertia) == (None, None)
    assert alertness.hourly_data == (AlertnessHour(alertness_level="NEW_LEVEL"),)
    assert Alertness.from_dict({"period_start_time": "2026-11-28T21:12:30", "hourly_data": 4})


@pytest.mark.parametrize("model", [Alertness, CircadianBedtime])
@pytest.mark.parametrize("data", [{}, {"period_start_time": None}, {"period_start_time": "x"}, []])
def test_period_without_a_start_is_refused(model: Any, data: Any) -> None:
    """A period is keyed by its start: without one it cannot be used."""
    with pytest.raises(ValueError, match=r"period_start_time|JSON object"):
        model.from_dict(data)


type ListAll = Callable[[AccessLinkClient, str], Awaitable[list[Any]]]
type GetRange = Callable[[AccessLinkClient, str, dt.date, dt.date], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class Kind:
    """One SleepWise kind: where it lives, its fixture and its client calls."""

    path: str
    document: str
    model: Any
    list_all: ListAll
    get_range: GetRange


@pytest.fixture(
    params=[
        pytest.param(
            Kind(
                "/v3/users/sleepwise/alertness",
                "alertness.json",
                Alertness,
                AccessLinkClient.list_alertness,
                AccessLinkClient.get_alertness,
            ),
            id="alertness",
        ),
        pytest.param(
            Kind(
                "/v3/users/sleepwise/circadian-bedtime",
                "circadian_bedtime.json",
                CircadianBedtime,
                AccessLinkClient.list_circadian_bedtime,
                AccessLinkClient.get_circadian_bedtime,
            ),
            id="circadian-bedtime",
        ),
    ]
)
def kind(request: pytest.FixtureRequest) -> Kind:
    """Each SleepWise kind in turn."""
    param: Kind = request.param
    return param


async def test_list(server: FakeAccessLink, client: AccessLinkClient, kind: Kind) -> None:
    """The last 28 days are one GET with the user's token."""
    server.reply("GET", kind.path, json_body=fixture(kind.document))
    found = await kind.list_all(client, TOKEN)
    assert found == [kind.model.from_dict(item) for item in fixture(kind.document)]
    assert len(found) == 2
    request = server.last
    assert (request.method, request.path, request.query) == ("GET", kind.path, {})
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_get_range(server: FakeAccessLink, client: AccessLinkClient, kind: Kind) -> None:
    """A range is asked with from and to as ISO dates; a datetime counts by its date."""
    server.reply("GET", f"{kind.path}/date", json_body=fixture(kind.document))
    found = await kind.get_range(
        client, TOKEN, dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC), END
    )
    assert len(found) == 2
    request = server.last
    assert (request.path, request.query) == (
        f"{kind.path}/date",
        {"from": "2026-11-28", "to": "2026-11-29"},
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(("status", "body"), [(204, None), (200, ""), (200, "[]")])
async def test_no_sleepwise_data(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
    status: int,
    body: str | None,
) -> None:
    """No SleepWise device (204) or no periods is an empty list, not an error."""
    server.reply("GET", kind.path, status, body=body)
    server.reply("GET", f"{kind.path}/date", status, body=body)
    assert await kind.list_all(client, TOKEN) == []
    assert await kind.get_range(client, TOKEN, START, END) == []


@pytest.mark.parametrize("body", ['{"data": []}', '"x"', "5"])
async def test_unusable_body(
    server: FakeAccessLink, client: AccessLinkClient, kind: Kind, body: str
) -> None:
    """Anything but an array is a response error."""
    server.reply("GET", kind.path, body=body)
    with pytest.raises(AccessLinkResponseError, match="periods"):
        await kind.list_all(client, TOKEN)


async def test_unusable_periods_are_skipped(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A period without a start is skipped at debug level; the rest arrive."""
    good = fixture(kind.document)[1]
    server.reply("GET", kind.path, json_body=[{"period_start_time": None}, "x", good])
    with caplog.at_level(logging.DEBUG):
        assert await kind.list_all(client, TOKEN) == [kind.model.from_dict(good)]
    skipped = [record for record in caplog.records if "Skipping" in record.getMessage()]
    assert [record.levelno for record in skipped] == [logging.DEBUG, logging.DEBUG]


async def test_consent_missing(
    server: FakeAccessLink, client: AccessLinkClient, kind: Kind
) -> None:
    """A 403 is the consent error, as for every user call."""
    server.reply("GET", kind.path, 403, json_body={"message": "consents missing"})
    with pytest.raises(AccessLinkConsentError):
        await kind.list_all(client, TOKEN)


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        (END, START, "starts after it ends"),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "longer than 28 days"),
    ],
)
async def test_range_is_checked_before_any_request(
    server: FakeAccessLink,
    client: AccessLinkClient,
    kind: Kind,
    start: dt.date,
    end: dt.date,
    match: str,
) -> None:
    """A range AccessLink refuses is never sent: from after to, or more than 28 days."""
    with pytest.raises(ValueError, match=match):
        await kind.get_range(client, TOKEN, start, end)
    assert server.requests == []


async def test_range_of_28_days_and_of_one_day_are_asked(
    server: FakeAccessLink, client: AccessLinkClient, kind: Kind
) -> None:
    """The longest range AccessLink allows, and a single day, are sent."""
    server.reply("GET", f"{kind.path}/date", 204)
    await kind.get_range(client, TOKEN, dt.date(2026, 11, 1), dt.date(2026, 11, 29))
    await kind.get_range(client, TOKEN, END, END)
    assert [request.query for request in server.requests] == [
        {"from": "2026-11-01", "to": "2026-11-29"},
        {"from": "2026-11-29", "to": "2026-11-29"},
    ]


async def test_user_calls(server: FakeAccessLink, client: AccessLinkClient) -> None:
    """The account's SleepWise calls ask a fresh token; a refused range asks none."""
    issued: list[str] = []

    async def token() -> str:
        issued.append(f"token-{len(issued) + 1}")
        return issued[-1]

    user = AccessLinkUser(client, 475, token)
    for path in ("alertness", "circadian-bedtime"):
        server.reply("GET", f"/v3/users/sleepwise/{path}", 204)
        server.reply("GET", f"/v3/users/sleepwise/{path}/date", 204)
    assert await user.list_alertness() == []
    assert await user.get_alertness(START, END) == []
    assert await user.list_circadian_bedtime() == []
    assert await user.get_circadian_bedtime(START, END) == []
    assert [request.headers["Authorization"] for request in server.requests] == [
        f"Bearer token-{number}" for number in range(1, 5)
    ]
    with pytest.raises(ValueError, match="starts after"):
        await user.get_alertness(END, START)
    with pytest.raises(ValueError, match="longer than"):
        await user.get_circadian_bedtime(dt.date(2026, 10, 1), END)
    assert len(issued) == 4
    assert len(server.requests) == 4
