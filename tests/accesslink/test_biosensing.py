"""Parsing of Elixir biosensing JSON into models, checked against Polar's OpenAPI description."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import (
    BodyTemperaturePeriod,
    BodyTemperatureSample,
    EcgQuality,
    EcgSample,
    EcgTestResult,
    InvalidDataError,
    SkinContactChange,
    SkinContactPeriod,
    SkinTemperature,
    Spo2TestResult,
)
from custom_components.polar_flow.accesslink.biosensing import date_range

from .openapi import example, load_spec, schema, validator
from .payloads import fixture

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
PLUS_THREE = dt.timezone(dt.timedelta(hours=3))

MODELS: list[tuple[str, Any, set[str]]] = [
    ("spo2-test-result", Spo2TestResult, set()),
    ("skin-temperature", SkinTemperature, set()),
    ("body-temperature-period", BodyTemperaturePeriod, set()),
    ("skin-contact-period", SkinContactPeriod, set()),
    ("ecg-test-result", EcgTestResult, set()),
]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Polar's OpenAPI description."""
    return load_spec()


def test_spec_paths_used_by_the_client(spec: dict[str, Any]) -> None:
    """Every biosensing list takes from/to dates and may answer 204 for no data."""
    for name in ("spo2", "skintemperature", "bodytemperature", "skincontacts", "ecg"):
        get = spec["paths"][f"/v3/users/biosensing/{name}"]["get"]
        assert [(param["name"], param["in"]) for param in get["parameters"]] == [
            ("from", "query"),
            ("to", "query"),
        ]
        assert {"200", "204"} <= get["responses"].keys()
        assert get["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


@pytest.mark.parametrize(("name", "model", "left_out"), MODELS)
def test_models_cover_every_documented_field(
    spec: dict[str, Any], name: str, model: Any, left_out: set[str]
) -> None:
    """Every documented field is a model field."""
    assert set(model.__dataclass_fields__) == set(schema(spec, name)["properties"]) - left_out


def test_spo2_example(spec: dict[str, Any]) -> None:
    data = example(spec, "spo2-test-result")
    validator(spec, "spo2-test-result").validate(data)
    assert Spo2TestResult.from_dict(data) == Spo2TestResult(
        test_time=dt.datetime(2023, 10, 20, 10, 34, 16, tzinfo=PLUS_THREE),
        source_device_id="1111AAAA",
        time_zone_offset=180,
        test_status="SPO2_TEST_PASSED",
        blood_oxygen_percent=95,
        spo2_class="SPO2_CLASS_NORMAL",
        spo2_value_deviation_from_baseline="DEVIATION_NO_BASELINE",
        spo2_quality_average_percent=90.0,
        average_heart_rate_bpm=60,
        heart_rate_variability_ms=100.0,
        spo2_hrv_deviation_from_baseline="DEVIATION_NO_BASELINE",
        altitude_meters=50.0,
    )


def test_skin_temperature_example(spec: dict[str, Any]) -> None:
    data = example(spec, "skin-temperature")
    validator(spec, "skin-temperature").validate(data)
    assert SkinTemperature.from_dict(data) == SkinTemperature(
        sleep_date=dt.date(2023, 10, 20),
        sleep_time_skin_temperature_celsius=36.5,
        deviation_from_baseline_celsius=0.5,
    )


def test_body_temperature_example(spec: dict[str, Any]) -> None:
    data = example(spec, "body-temperature-period")
    validator(spec, "body-temperature-period").validate(data)
    period = BodyTemperaturePeriod.from_dict(data)
    assert period == BodyTemperaturePeriod(
        start_time=dt.datetime(2023, 10, 20, 4, tzinfo=UTC),
        end_time=dt.datetime(2023, 10, 20, 5, tzinfo=UTC),
        modified_time=dt.datetime(2023, 10, 20, 4, tzinfo=UTC),
        source_device_id="1111AAAA",
        measurement_type="TM_CORE_TEMPERATURE",
        sensor_location="SL_PROXIMAL",
        samples=(
            BodyTemperatureSample(temperature_celsius=36.5, recording_time_delta_milliseconds=123),
        ),
    )
    assert period.latest_sample == period.samples[0]


def test_skin_contact_example(spec: dict[str, Any]) -> None:
    data = example(spec, "skin-contact-period")
    validator(spec, "skin-contact-period").validate(data)
    assert SkinContactPeriod.from_dict(data) == SkinContactPeriod(
        start_time=dt.datetime(2023, 10, 20, 4, tzinfo=UTC),
        end_time=dt.datetime(2023, 10, 20, 5, tzinfo=UTC),
        modified_time=dt.datetime(2023, 10, 20, 4, tzinfo=UTC),
        source_device_id="1111AAAA",
        skin_contact_changes=(
            SkinContactChange(skin_contact=True, recording_time_delta_milliseconds=123),
        ),
    )


def test_ecg_example(spec: dict[str, Any]) -> None:
    data = example(spec, "ecg-test-result")
    validator(spec, "ecg-test-result").validate(data)
    assert EcgTestResult.from_dict(data) == EcgTestResult(
        test_time=dt.datetime(2023, 10, 20, 10, 34, 16, tzinfo=PLUS_THREE),
        source_device_id="1111AAAA",
        time_zone_offset=180,
        average_heart_rate_bpm=60,
        heart_rate_variability_ms=0.0,
        heart_rate_variability_level="ECG_HRV_LEVEL_NO_BASELINE",
        rri_ms=100.0,
        pulse_transit_time_systolic_ms=100.0,
        pulse_transit_time_diastolic_ms=100.0,
        pulse_transit_time_quality_index=100.0,
        samples=(EcgSample(recording_time_delta_ms=123, amplitude_mv=0.1),),
        quality_measurements=(
            EcgQuality(recording_time_delta_ms=123, quality_level="ECG_QUALITY_HIGH"),
        ),
    )


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("spo2-test-result", "spo2.json"),
        ("skin-temperature", "skin_temperature.json"),
        ("body-temperature-period", "body_temperature.json"),
    ],
)
def test_served_fixtures_conform(spec: dict[str, Any], name: str, document: str) -> None:
    check = validator(spec, name)
    for item in fixture(document):
        check.validate(item)


def test_spo2_fixture_in_its_own_time_zone() -> None:
    (data,) = fixture("spo2.json")
    test = Spo2TestResult.from_dict(data)
    assert test.test_time == dt.datetime(2026, 11, 29, 8, tzinfo=PLUS_TWO)
    assert test.test_time.utcoffset() == dt.timedelta(hours=2)


def test_body_temperature_latest_sample_is_the_last_recorded() -> None:
    (data,) = fixture("body_temperature.json")
    shuffled = {**data, "samples": list(reversed(data["samples"]))}
    latest = BodyTemperaturePeriod.from_dict(shuffled).latest_sample
    assert latest == BodyTemperatureSample(
        temperature_celsius=34.1, recording_time_delta_milliseconds=2400000
    )


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Spo2TestResult, {"test_time": 1697787256}),
        (SkinTemperature, {"sleep_date": "2023-10-20"}),
        (BodyTemperaturePeriod, {"start_time": "2023-10-20T04:00:00"}),
        (SkinContactPeriod, {"start_time": "2023-10-20T04:00:00"}),
        (EcgTestResult, {"test_time": 1697787256}),
    ],
)
def test_only_the_key_field(model: Any, data: dict[str, Any]) -> None:
    """Every field but the one that tells items apart may be missing."""
    item = model.from_dict(data)
    values = {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
    assert {name for name, value in values.items() if value not in (None, ())} == set(data)
    assert not hasattr(item, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.source_device_id = "x"


def test_spo2_wrong_types_and_unknown_enums() -> None:
    garbage: dict[str, Any] = {
        "test_time": 1697787256.0,
        "time_zone_offset": 99999,
        "test_status": "SPO2_TEST_SOMETHING_NEW",
        "blood_oxygen_percent": "95",
        "spo2_class": 3,
        "spo2_value_deviation_from_baseline": None,
        "spo2_quality_average_percent": float("inf"),
        "average_heart_rate_bpm": True,
        "heart_rate_variability_ms": "100",
        "spo2_hrv_deviation_from_baseline": ["DEVIATION_USUAL"],
        "altitude_meters": {"m": 50},
        "source_device_id": "",
    }
    test = Spo2TestResult.from_dict(garbage)
    # An offset beyond a day is no offset: the time stays right, in UTC.
    assert test.test_time == dt.datetime(2023, 10, 20, 7, 34, 16, tzinfo=UTC)
    assert test.test_status == "SPO2_TEST_SOMETHING_NEW"
    assert test == Spo2TestResult(
        test_time=test.test_time, time_zone_offset=99999, test_status="SPO2_TEST_SOMETHING_NEW"
    )


def test_body_temperature_skips_unusable_samples() -> None:
    data = {
        "start_time": "2023-10-20T04:00:00",
        "end_time": "later",
        "measurement_type": 1,
        "samples": [
            {"temperature_celsius": 36.4, "recording_time_delta_milliseconds": 0},
            {"temperature_celsius": None, "recording_time_delta_milliseconds": 1},
            {"temperature_celsius": 36.5},
            {"temperature_celsius": 36.6, "recording_time_delta_milliseconds": -5},
            {"temperature_celsius": "36.7", "recording_time_delta_milliseconds": 2},
            "36.8",
            None,
        ],
    }
    period = BodyTemperaturePeriod.from_dict(data)
    assert period.samples == (
        BodyTemperatureSample(temperature_celsius=36.4, recording_time_delta_milliseconds=0),
    )
    assert (period.end_time, period.measurement_type) == (None, None)
    assert BodyTemperaturePeriod.from_dict({**data, "samples": {}}).latest_sample is None


def test_skin_contacts_and_ecg_skip_unusable_entries() -> None:
    contacts = SkinContactPeriod.from_dict(
        {
            "start_time": "2023-10-20T04:00:00Z",
            "skin_contact_changes": [
                {"skin_contact": "yes", "recording_time_delta_milliseconds": 1},
                {"skin_contact": False},
                {"skin_contact": False, "recording_time_delta_milliseconds": 2},
            ],
        }
    )
    assert contacts.skin_contact_changes == (
        SkinContactChange(skin_contact=False, recording_time_delta_milliseconds=2),
    )
    ecg = EcgTestResult.from_dict(
        {
            "test_time": 1697787256,
            "samples": [{"recording_time_delta_ms": 1}, {"amplitude_mv": 0.2}, "x"],
            "quality_measurements": [{"recording_time_delta_ms": 1, "quality_level": 3}],
        }
    )
    assert (ecg.samples, ecg.quality_measurements) == ((), ())


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Spo2TestResult, {}),
        (Spo2TestResult, {"test_time": "2023-10-20T07:34:16"}),
        (Spo2TestResult, {"test_time": 10**20}),
        (EcgTestResult, {"test_time": None}),
        (SkinTemperature, {"sleep_date": "yesterday"}),
        (BodyTemperaturePeriod, {"start_time": 1697787256}),
        (SkinContactPeriod, {"end_time": "2023-10-20T04:00:00"}),
        (Spo2TestResult, ["not", "an", "object"]),
    ],
)
def test_without_a_usable_key_is_refused(model: Any, data: Any) -> None:
    with pytest.raises(InvalidDataError):
        model.from_dict(data)


def test_date_range() -> None:
    day = dt.date(2026, 11, 29)
    assert date_range(None, None) == {}
    assert date_range(day, None) == {"from": "2026-11-29"}
    assert date_range(None, day) == {"to": "2026-11-29"}
    first = day - dt.timedelta(days=27)
    assert date_range(first, day) == {"from": "2026-11-02", "to": "2026-11-29"}
    with pytest.raises(ValueError, match="28 days"):
        date_range(first - dt.timedelta(days=1), day)
    with pytest.raises(ValueError, match="before"):
        date_range(day, first)
