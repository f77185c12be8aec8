"""Models and served fixtures checked against Polar's own OpenAPI description."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    CreatedWebhook,
    EventType,
    Exercise,
    NightlyRecharge,
    Notice,
    Sleep,
    UserInfo,
    WebhookInfo,
)

from .openapi import example, load_spec, schema, validator
from .payloads import (
    CREATED_WEBHOOK,
    ERROR_SPEC_SHAPE,
    EXERCISE,
    EXERCISE_WITH_DETAILS,
    USER,
    WEBHOOK_LIST,
    fixture,
)

UTC = dt.UTC


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


def test_spec_paths_used_by_the_client(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert {"post"} <= paths["/v3/users"].keys()
    assert {"get", "delete"} <= paths["/v3/users/{user-id}"].keys()
    assert {"get"} <= paths["/v3/exercises"].keys()
    assert {"get"} <= paths["/v3/exercises/{exerciseId}"].keys()
    assert {"get", "post"} <= paths["/v3/webhooks"].keys()
    assert {"patch", "delete"} <= paths["/v3/webhooks/{webhook-id}"].keys()
    assert {"post"} <= paths["/v3/webhooks/activate"].keys()
    assert {"post"} <= paths["/v3/webhooks/deactivate"].keys()
    assert paths["/v3/webhooks"]["post"]["security"] == [{"Basic": []}]
    for path in ("/v3/users/sleep", "/v3/users/nightly-recharge"):
        assert {"get"} <= paths[path].keys()
        assert {"get"} <= paths[f"{path}/{{date}}"].keys()
        assert {"404"} <= paths[f"{path}/{{date}}"]["get"]["responses"].keys()
    assert set(paths["/v3/webhooks/activate"]["post"]["responses"]) == {"200", "204"}


def test_spec_event_types_match(spec: dict[str, Any]) -> None:
    subscribable = set(schema(spec, "webhookType")["enum"])
    assert subscribable == {member.value for member in EventType} - {EventType.PING}
    assert schema(spec, "webhookPing")["properties"]["event"]["enum"] == ["PING"]


def test_exercise_example(spec: dict[str, Any]) -> None:
    data = example(spec, "exerciseHashId")
    validator(spec, "exerciseHashId").validate(data)
    exercise = Exercise.from_dict(data)
    assert exercise.id == "2AC312F"
    assert exercise.upload_time == dt.datetime(2008, 10, 13, 10, 40, 2, tzinfo=UTC)
    assert exercise.polar_user == "https://www.polaraccesslink/v3/users/1"
    assert (exercise.device, exercise.device_id) == ("Polar M400", "1111AAAA")
    assert exercise.start_time == dt.datetime(
        2008, 10, 13, 10, 40, 2, tzinfo=dt.timezone(dt.timedelta(minutes=180))
    )
    assert exercise.start_time_utc_offset == 180
    assert exercise.duration == dt.timedelta(hours=2, minutes=44)
    assert (exercise.calories, exercise.distance) == (530, 1600.0)
    assert (exercise.heart_rate_average, exercise.heart_rate_maximum) == (129, 147)
    assert exercise.training_load == 143.22
    assert (exercise.sport, exercise.detailed_sport_info) == ("OTHER", "WATERSPORTS_WATERSKI")
    assert exercise.has_route is True
    assert (exercise.club_id, exercise.club_name) == (999, "Polar Club")
    assert (
        exercise.fat_percentage,
        exercise.carbohydrate_percentage,
        exercise.protein_percentage,
    ) == (60, 38, 2)
    assert exercise.running_index == 51
    (zone,) = exercise.heart_rate_zones
    assert (zone.index, zone.lower_limit, zone.upper_limit) == (1, 110, 130)
    assert zone.in_zone == dt.timedelta(seconds=4)
    (sample,) = exercise.samples
    assert (sample.sample_type, sample.recording_rate) == ("1", 5)
    assert sample.values()[:3] == (0.0, 100.0, 102.0)
    (point,) = exercise.route
    assert (point.latitude, point.longitude) == (60.21982833, 25.13925)
    assert point.time == dt.timedelta(seconds=210.026)
    assert (point.satellites, point.fix) == (4, 1)
    load = exercise.training_load_pro
    assert load is not None
    assert load.date == dt.date(2023, 1, 1)
    assert (load.cardio_load, load.muscle_load, load.perceived_load) == (1.0, 1.0, 1.0)
    assert load.cardio_load_interpretation == "UNKNOWN"
    assert load.user_rpe == "UNKNOWN"


def test_exercise_model_covers_every_documented_field(spec: dict[str, Any]) -> None:
    documented = set(schema(spec, "exerciseHashId")["properties"])
    renamed = {"running-index": "running_index"}
    flattened = {"heart_rate": {"heart_rate_average", "heart_rate_maximum"}}
    fields = set(Exercise.__dataclass_fields__)
    for name in documented:
        assert flattened.get(name, {renamed.get(name, name)}) <= fields, name


@pytest.mark.parametrize(
    "payload", [EXERCISE, EXERCISE_WITH_DETAILS], ids=["summary", "with-details"]
)
def test_served_exercises_conform(spec: dict[str, Any], payload: dict[str, Any]) -> None:
    validator(spec, "exerciseHashId").validate(payload)
    validator(spec, "exercisesHashId").validate([payload])


def test_strict_validator_catches_misspelt_fields(spec: dict[str, Any]) -> None:
    check = validator(spec, "exerciseHashId")
    assert not check.is_valid({**EXERCISE, "running_index": 51})
    assert not check.is_valid({**EXERCISE, "distance": "1600"})
    assert not check.is_valid({**EXERCISE, "id": 5})


def test_sleep_example(spec: dict[str, Any]) -> None:
    data = example(spec, "sleep")
    validator(spec, "sleep").validate(data)
    plus_three = dt.timezone(dt.timedelta(hours=3))
    assert Sleep.from_dict(data) == Sleep(
        date=dt.date(2020, 1, 1),
        sleep_start_time=dt.datetime(2020, 1, 1, 0, 39, 7, tzinfo=plus_three),
        sleep_end_time=dt.datetime(2020, 1, 1, 9, 19, 37, tzinfo=plus_three),
        device_id="1111AAAA",
        continuity=2.1,
        continuity_class=2,
        light_sleep=1000,
        deep_sleep=1000,
        rem_sleep=1000,
        unrecognized_sleep_stage=1000,
        total_interruption_duration=1000,
        short_interruption_duration=500,
        long_interruption_duration=300,
        sleep_score=80,
        sleep_charge=3,
        sleep_goal=28800,
        sleep_rating=3,
        sleep_cycles=6,
        group_duration_score=100.0,
        group_solidity_score=75.0,
        group_regeneration_score=54.2,
    )
    nights = example(spec, "nights")
    assert [Sleep.from_dict(item).date for item in nights["nights"]] == [dt.date(2020, 1, 1)]


def test_nightly_recharge_example(spec: dict[str, Any]) -> None:
    data = example(spec, "nightly-recharge")
    validator(spec, "nightly-recharge").validate(data)
    assert NightlyRecharge.from_dict(data) == NightlyRecharge(
        date=dt.date(2020, 1, 1),
        heart_rate_avg=70,
        beat_to_beat_avg=816,
        heart_rate_variability_avg=28,
        breathing_rate_avg=14.1,
        nightly_recharge_status=3,
        ans_charge=0.0,
        ans_charge_status=3,
    )
    recharges = example(spec, "recharges")
    assert [NightlyRecharge.from_dict(item).ans_charge for item in recharges["recharges"]] == [0.0]


@pytest.mark.parametrize(
    ("name", "model", "left_out"),
    [
        ("sleep", Sleep, {"polar_user", "hypnogram", "heart_rate_samples"}),
        ("nightly-recharge", NightlyRecharge, {"polar_user", "hrv_samples", "breathing_samples"}),
    ],
)
def test_daily_models_cover_every_documented_summary_field(
    spec: dict[str, Any], name: str, model: Any, left_out: set[str]
) -> None:
    """Every documented field is a model field, but the owner link and the sample maps."""
    documented = set(schema(spec, name)["properties"])
    assert left_out <= documented
    assert set(model.__dataclass_fields__) == documented - left_out


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("sleep", "sleep.json"),
        ("nights", "nights.json"),
        ("nightly-recharge", "nightly_recharge.json"),
        ("recharges", "recharges.json"),
    ],
)
def test_served_daily_fixtures_conform(spec: dict[str, Any], name: str, document: str) -> None:
    validator(spec, name).validate(fixture(document))


def test_sleep_notice_example_names_the_date_the_client_fetches(spec: dict[str, Any]) -> None:
    notice = Notice.from_dict(example(spec, "webhookPayloadSleep"))
    assert notice.date == dt.date(2019, 12, 31)
    assert notice.url == f"https://www.polaraccesslink.com/v3/users/sleep/{notice.date}"


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("user", USER),
        ("createdWebhook", CREATED_WEBHOOK),
        ("webhookInfo", WEBHOOK_LIST),
        ("error", ERROR_SPEC_SHAPE),
    ],
)
def test_served_documents_conform(spec: dict[str, Any], name: str, payload: Any) -> None:
    validator(spec, name).validate(payload)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "webhookPayloadExercise",
            {"event": EventType.EXERCISE, "entity_id": "aQlC83", "date": None, "from_time": None},
        ),
        (
            "webhookPayloadSleep",
            {"event": EventType.SLEEP, "entity_id": None, "date": dt.date(2019, 12, 31)},
        ),
        (
            "webhookPayloadContinuousHeartRate",
            {"event": EventType.CONTINUOUS_HEART_RATE, "date": dt.date(2022, 9, 30)},
        ),
        (
            "webhookPayloadActivitySummary",
            {"event": EventType.ACTIVITY_SUMMARY, "date": dt.date(2022, 9, 30)},
        ),
        (
            "webhookPayloadPhysicalInformation",
            {"event": EventType.PHYSICAL_INFORMATION, "date": None, "entity_id": None},
        ),
        (
            "webhookPayloadCircadianBedtime",
            {
                "event": EventType.SLEEP_WISE_CIRCADIAN_BEDTIME,
                "from_time": dt.datetime(2022, 9, 30, tzinfo=UTC),
                "to_time": dt.datetime(2022, 10, 2, tzinfo=UTC),
            },
        ),
        (
            "webhookPayloadAlertness",
            {
                "event": EventType.SLEEP_WISE_ALERTNESS,
                "from_time": dt.datetime(2022, 9, 30, tzinfo=UTC),
                "to_time": dt.datetime(2022, 10, 2, tzinfo=UTC),
            },
        ),
    ],
)
def test_webhook_payload_examples(
    spec: dict[str, Any], name: str, expected: dict[str, Any]
) -> None:
    data = example(spec, name)
    notice = Notice.from_dict(data)
    assert notice.user_id == 475
    assert notice.url == data["url"]
    assert notice.url is not None
    assert notice.url.startswith("https://www.polaraccesslink.com/v3/")
    assert notice.timestamp is not None
    assert notice.timestamp.tzinfo is not None
    assert notice.timestamp == dt.datetime.fromisoformat(data["timestamp"])
    for field, value in expected.items():
        assert getattr(notice, field) == value, field


def test_ping_example(spec: dict[str, Any]) -> None:
    notice = Notice.from_dict(example(spec, "webhookPing"))
    assert notice.event is EventType.PING
    assert notice.user_id is None
    assert notice.timestamp == dt.datetime(2018, 5, 15, 14, 22, 24, tzinfo=UTC)


def test_created_webhook_example(spec: dict[str, Any]) -> None:
    data = example(spec, "createdWebhook")
    created = CreatedWebhook.from_dict(data)
    assert created == CreatedWebhook(
        id="abdf33",
        events=("EXERCISE",),
        url="https://myapp.example.com/acl_webhook",
        signature_secret_key="abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1",
    )
    assert CreatedWebhook.from_dict(data["data"]) == created


def test_webhook_info_example(spec: dict[str, Any]) -> None:
    data = example(spec, "webhookInfo")
    assert WebhookInfo.from_dict(data) == WebhookInfo(
        id="abdf33",
        events=("EXERCISE",),
        url="https://myapp.example.com/acl_webhook",
        active=True,
    )


def test_user_example(spec: dict[str, Any]) -> None:
    user = UserInfo.from_dict(example(spec, "user"))
    assert user.polar_user_id == 2278512
    assert user.member_id == "i09u9ujj"
    assert user.registration_date == dt.datetime(2011, 10, 14, 12, 50, 37, tzinfo=UTC)
    assert user.name == "Eka Toka"
    assert user.birthdate == dt.date(1985, 9, 6)
    assert (user.gender, user.weight, user.height) == ("MALE", 66.0, 170.0)


def test_register_body_matches_the_schema(spec: dict[str, Any]) -> None:
    validator(spec, "register").validate({"member-id": "0123abcd"})
    assert not validator(spec, "register").is_valid({})
