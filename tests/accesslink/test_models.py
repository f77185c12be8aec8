"""Parsing of AccessLink JSON into models."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    CreatedWebhook,
    EventType,
    Exercise,
    ExerciseSample,
    InvalidDataError,
    Notice,
    TokenResponse,
    UserInfo,
    WebhookInfo,
    parse_duration,
)

from .payloads import CREATED_WEBHOOK, EXERCISE, EXERCISE_WITH_DETAILS, USER, WEBHOOK_LIST

UTC = dt.UTC


def test_event_type_values_are_their_names() -> None:
    assert [member.value for member in EventType] == [member.name for member in EventType]
    assert {member.value for member in EventType} == {
        "EXERCISE",
        "SLEEP",
        "CONTINUOUS_HEART_RATE",
        "ACTIVITY_SUMMARY",
        "PHYSICAL_INFORMATION",
        "SLEEP_WISE_CIRCADIAN_BEDTIME",
        "SLEEP_WISE_ALERTNESS",
        "PING",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H2M3.5S", dt.timedelta(hours=1, minutes=2, seconds=3.5)),
        ("PT2H44M", dt.timedelta(hours=2, minutes=44)),
        ("PT210.026S", dt.timedelta(seconds=210.026)),
        ("PT0S", dt.timedelta(0)),
        ("PT4,5S", dt.timedelta(seconds=4.5)),
        ("P1DT2H", dt.timedelta(days=1, hours=2)),
        ("P2D", dt.timedelta(days=2)),
        ("P1W", dt.timedelta(weeks=1)),
        ("PT90M", dt.timedelta(minutes=90)),
        ("pt1m", dt.timedelta(minutes=1)),
        (" PT1S ", dt.timedelta(seconds=1)),
    ],
)
def test_parse_duration(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "1H",
        "PT1H2",
        "PT.5S",
        "P1Y",
        "P1M",
        "-PT1S",
        "PT1S2M",
        "junk",
        "PT1H 2M",
        f"P{'9' * 12}D",
        "PT\u0661S",
    ],
)
def test_parse_duration_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_exercise_full() -> None:
    exercise = Exercise.from_dict(EXERCISE_WITH_DETAILS)
    assert exercise.id == "Zx9Qa1"
    assert exercise.upload_time == dt.datetime(2025, 5, 10, 8, 40, 2, tzinfo=UTC)
    assert exercise.polar_user == "https://www.polaraccesslink.com/v3/users/475"
    assert exercise.device == "Polar Vantage V3"
    assert exercise.device_id == "1111AAAA"
    assert exercise.start_time == dt.datetime(
        2025, 5, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))
    )
    assert exercise.start_time is not None
    assert exercise.start_time.astimezone(UTC) == dt.datetime(2025, 5, 10, 7, 0, tzinfo=UTC)
    assert exercise.start_time_utc_offset == 180
    assert exercise.duration == dt.timedelta(hours=1, minutes=2, seconds=3.5)
    assert exercise.calories == 530
    assert exercise.distance == 10234.5
    assert (exercise.heart_rate_average, exercise.heart_rate_maximum) == (142, 171)
    assert exercise.training_load == 143.22
    assert exercise.sport == "RUNNING"
    assert exercise.detailed_sport_info == "RUNNING_ROAD"
    assert exercise.has_route is True
    assert (exercise.club_id, exercise.club_name) == (None, None)
    assert (
        exercise.fat_percentage,
        exercise.carbohydrate_percentage,
        exercise.protein_percentage,
    ) == (60, 38, 2)
    assert exercise.running_index == 51
    load = exercise.training_load_pro
    assert load is not None
    assert load.date == dt.date(2025, 5, 10)
    assert (load.cardio_load, load.muscle_load, load.perceived_load) == (85.5, 12.0, 60.0)
    assert load.cardio_load_interpretation == "MEDIUM"
    assert load.muscle_load_interpretation == "LOW"
    assert load.perceived_load_interpretation == "MEDIUM"
    assert load.user_rpe == "RPE_MODERATE"
    assert [
        (z.index, z.lower_limit, z.upper_limit, z.in_zone) for z in exercise.heart_rate_zones
    ] == [
        (1, 110, 130, dt.timedelta(minutes=4, seconds=5)),
        (2, 130, 150, dt.timedelta(minutes=40)),
    ]
    (sample,) = exercise.samples
    assert (sample.sample_type, sample.recording_rate) == ("0", 5)
    assert sample.values() == (100.0, 102.0, None, 97.0)
    (point,) = exercise.route
    assert (point.latitude, point.longitude) == (60.21982833, 25.13925)
    assert point.time == dt.timedelta(seconds=210.026)
    assert (point.satellites, point.fix) == (4, 1)
    assert hash(exercise) == hash(Exercise.from_dict(EXERCISE_WITH_DETAILS))


def test_exercise_only_id() -> None:
    exercise = Exercise.from_dict({"id": "abc"})
    assert exercise == Exercise(id="abc")
    assert all(
        getattr(exercise, f.name) in (None, ())
        for f in dataclasses.fields(exercise)
        if f.name != "id"
    )


def test_exercise_wrong_types_become_none() -> None:
    garbage: dict[str, Any] = {
        "id": 1937529874,
        "upload_time": "yesterday",
        "polar_user": 5,
        "device": ["x"],
        "device_id": True,
        "start_time": "10:00 on Monday",
        "start_time_utc_offset": "180",
        "duration": 3600,
        "calories": "530",
        "distance": 10**400,
        "heart_rate": [1, 2],
        "training_load": float("nan"),
        "sport": {"name": "RUNNING"},
        "detailed_sport_info": 3,
        "has_route": "yes",
        "club_id": 1.5,
        "club_name": None,
        "fat_percentage": True,
        "carbohydrate_percentage": None,
        "protein_percentage": "2",
        "running-index": "51",
        "training_load_pro": "high",
        "heart_rate_zones": "none",
        "samples": [1, "two", None],
        "route": {"latitude": 1},
    }
    exercise = Exercise.from_dict(garbage)
    assert exercise == Exercise(id="1937529874")


def test_exercise_lenient_numbers_and_nested_garbage() -> None:
    exercise = Exercise.from_dict(
        {
            "id": "x",
            "calories": 530.0,
            "distance": 1600,
            "heart_rate": {"average": "142", "maximum": 171.0},
            "heart_rate_zones": {"zone": [{"index": 1, "in-zone": "ten"}]},
            "samples": [{"sample-type": 1, "data": None}, {"data": "1,nan,x, 3"}],
            "route": [{"latitude": "60", "longitude": 25, "time": 5}],
            "training_load_pro": {"cardio_load": 3, "user-rpe": 7},
            "sport": "SOME_NEW_SPORT",
        }
    )
    assert exercise.calories == 530
    assert exercise.distance == 1600.0
    assert isinstance(exercise.distance, float)
    assert (exercise.heart_rate_average, exercise.heart_rate_maximum) == (None, 171)
    assert exercise.heart_rate_zones[0].index == 1
    assert exercise.heart_rate_zones[0].in_zone is None
    assert exercise.samples[0] == ExerciseSample(sample_type="1", recording_rate=None, data=None)
    assert exercise.samples[0].values() == ()
    assert exercise.samples[1].values() == (1.0, None, None, 3.0)
    assert exercise.route[0].latitude is None
    assert exercise.route[0].longitude == 25.0
    assert exercise.route[0].time is None
    assert exercise.training_load_pro is not None
    assert exercise.training_load_pro.cardio_load == 3.0
    assert exercise.training_load_pro.user_rpe is None
    assert exercise.sport == "SOME_NEW_SPORT"


@pytest.mark.parametrize(
    ("start", "offset", "expected"),
    [
        (
            "2025-05-10T10:00:00",
            -300,
            dt.datetime(2025, 5, 10, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
        ("2025-05-10T10:00:00", None, dt.datetime(2025, 5, 10, 10, tzinfo=UTC)),
        ("2025-05-10T10:00:00", 24 * 60, dt.datetime(2025, 5, 10, 10, tzinfo=UTC)),
        (
            "2025-05-10T10:00:00+02:00",
            180,
            dt.datetime(2025, 5, 10, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
    ],
    ids=["negative-offset", "no-offset-is-utc", "impossible-offset-is-utc", "explicit-offset"],
)
def test_exercise_start_time(start: str, offset: int | None, expected: dt.datetime) -> None:
    data: dict[str, Any] = {"id": "x", "start_time": start}
    if offset is not None:
        data["start_time_utc_offset"] = offset
    exercise = Exercise.from_dict(data)
    assert exercise.start_time == expected
    assert exercise.start_time is not None
    assert exercise.start_time.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("data", [{}, {"id": ""}, {"id": None}, {"id": True}, {"id": 1.5}, [], "x"])
def test_exercise_requires_id(data: Any) -> None:
    with pytest.raises(ValueError, match="exercise"):
        Exercise.from_dict(data)


def test_exercise_running_index_snake_case_fallback() -> None:
    exercise = Exercise.from_dict({**EXERCISE, "running-index": None, "running_index": 48})
    assert exercise.running_index == 48


def test_token_response() -> None:
    token = TokenResponse.from_dict(
        {
            "access_token": "tok",
            "token_type": "bearer",
            "expires_in": 315359999,
            "x_user_id": 475,
        }
    )
    assert token == TokenResponse("tok", "bearer", 315359999, 475)


def test_token_response_string_user_id_and_defaults() -> None:
    token = TokenResponse.from_dict({"access_token": "tok", "x_user_id": " 475 "})
    assert token == TokenResponse("tok", "bearer", None, 475)


@pytest.mark.parametrize(
    "data",
    [
        {"token_type": "bearer", "x_user_id": 475},
        {"access_token": "", "x_user_id": 475},
        {"access_token": "tok"},
        {"access_token": "tok", "x_user_id": "47a"},
        {"access_token": "tok", "x_user_id": True},
        {"access_token": "tok", "x_user_id": 475, "token_type": 1},
    ],
    ids=["no-token", "empty-token", "no-user", "bad-user", "bool-user", "bad-type"],
)
def test_token_response_invalid(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDataError):
        TokenResponse.from_dict(data)


def test_user_info() -> None:
    user = UserInfo.from_dict(USER)
    assert user.polar_user_id == 475
    assert user.member_id == "member-1"
    assert user.registration_date == dt.datetime(2025, 5, 1, 12, 50, 37, tzinfo=UTC)
    assert (user.first_name, user.last_name, user.name) == ("Eka", "Toka", "Eka Toka")
    assert user.birthdate == dt.date(1985, 9, 6)
    assert (user.gender, user.weight, user.height) == ("FEMALE", 66.0, 170.0)


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [("Eka", None, "Eka"), (None, "Toka", "Toka"), (None, None, None), (" ", "", None)],
)
def test_user_name(first: str | None, last: str | None, name: str | None) -> None:
    assert UserInfo(polar_user_id=1, first_name=first, last_name=last).name == name


def test_user_info_naive_registration_date_is_utc() -> None:
    user = UserInfo.from_dict({"polar-user-id": "475", "registration-date": "2025-05-01T12:00"})
    assert user.registration_date == dt.datetime(2025, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("data", [{}, {"polar-user-id": None}, {"polar-user-id": "x"}])
def test_user_info_invalid(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDataError, match="polar-user-id"):
        UserInfo.from_dict(data)


def test_webhook_info_bare_and_wrapped() -> None:
    bare = WEBHOOK_LIST["data"][0]
    expected = WebhookInfo(
        id="abdf33",
        events=("EXERCISE", "SLEEP"),
        url="https://ha.example.com/api/webhook/abc",
        active=True,
    )
    assert WebhookInfo.from_dict(bare) == expected
    assert WebhookInfo.from_dict(WEBHOOK_LIST) == expected
    assert WebhookInfo.from_dict({"data": bare}) == expected
    assert WebhookInfo.from_dict({**bare, "active": "yes", "events": ["X", 1]}).active is None
    assert WebhookInfo.from_dict({**bare, "events": ["X", 1]}).events == ("X",)


@pytest.mark.parametrize(
    "data",
    [
        {"data": []},
        {"data": [{"id": "a", "url": "u"}, {"id": "b", "url": "u"}]},
        {"id": "a"},
        {"url": "https://x"},
        {"data": "x"},
    ],
    ids=["empty-list", "two", "no-url", "no-id", "data-string"],
)
def test_webhook_info_invalid(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDataError):
        WebhookInfo.from_dict(data)


def test_created_webhook() -> None:
    created = CreatedWebhook.from_dict(CREATED_WEBHOOK)
    assert created == CreatedWebhook(
        id="abdf33",
        events=("EXERCISE", "SLEEP"),
        url="https://ha.example.com/api/webhook/abc",
        signature_secret_key="abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1",
    )
    assert CreatedWebhook.from_dict(CREATED_WEBHOOK["data"]) == created


@pytest.mark.parametrize("missing", ["id", "url", "signature_secret_key"])
def test_created_webhook_invalid(missing: str) -> None:
    data = {key: value for key, value in CREATED_WEBHOOK["data"].items() if key != missing}
    with pytest.raises(InvalidDataError, match=missing):
        CreatedWebhook.from_dict(data)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "event": "EXERCISE",
                "user_id": 475,
                "entity_id": "aQlC83",
                "timestamp": "2018-05-15T14:22:24Z",
                "url": "https://www.polaraccesslink.com/v3/exercises/aQlC83",
            },
            Notice(
                event=EventType.EXERCISE,
                user_id=475,
                timestamp=dt.datetime(2018, 5, 15, 14, 22, 24, tzinfo=UTC),
                url="https://www.polaraccesslink.com/v3/exercises/aQlC83",
                entity_id="aQlC83",
            ),
        ),
        (
            {"event": "SLEEP", "user_id": "475", "date": "2019-12-31", "url": ""},
            Notice(
                event=EventType.SLEEP,
                user_id=475,
                timestamp=None,
                url=None,
                date=dt.date(2019, 12, 31),
            ),
        ),
        (
            {
                "event": "SLEEP_WISE_ALERTNESS",
                "user_id": 475,
                "from": "2022-09-30",
                "to": "2022-10-02T06:00:00+03:00",
                "timestamp": "2022-10-02T14:22:24",
            },
            Notice(
                event=EventType.SLEEP_WISE_ALERTNESS,
                user_id=475,
                timestamp=dt.datetime(2022, 10, 2, 14, 22, 24, tzinfo=UTC),
                url=None,
                from_time=dt.datetime(2022, 9, 30, tzinfo=UTC),
                to_time=dt.datetime(2022, 10, 2, 3, tzinfo=UTC),
            ),
        ),
        (
            {"event": "PING", "timestamp": "2018-05-15T14:22:24Z"},
            Notice(
                event=EventType.PING,
                user_id=None,
                timestamp=dt.datetime(2018, 5, 15, 14, 22, 24, tzinfo=UTC),
                url=None,
            ),
        ),
        (
            {"event": "NEW_THING", "user_id": 9, "entity_id": 12, "date": "not-a-date"},
            Notice(event="NEW_THING", user_id=9, timestamp=None, url=None, entity_id="12"),
        ),
    ],
    ids=["exercise", "sleep", "sleepwise", "ping", "unknown-event"],
)
def test_notice(payload: dict[str, Any], expected: Notice) -> None:
    notice = Notice.from_dict(payload)
    assert notice == expected
    assert type(notice.event) is type(expected.event)


@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": 475},
        {"event": "", "user_id": 475},
        {"event": 5, "user_id": 475},
        {"event": "EXERCISE"},
        {"event": "EXERCISE", "user_id": "abc"},
        {"event": "EXERCISE", "user_id": 4.5},
    ],
    ids=["no-event", "empty-event", "int-event", "no-user", "bad-user", "float-user"],
)
def test_notice_invalid(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="notice"):
        Notice.from_dict(payload)
