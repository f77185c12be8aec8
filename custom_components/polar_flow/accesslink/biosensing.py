"""Elixir biosensing models of AccessLink v3 (/v3/users/biosensing/...); all times are UTC."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import datetime as dt
import logging
from typing import Any

from ._convert import (
    InvalidDataError,
    mappings,
    opt_bool,
    opt_date,
    opt_datetime,
    opt_float,
    opt_id,
    opt_int,
    opt_str,
    require_mapping,
)
from .errors import AccessLinkResponseError

_LOGGER = logging.getLogger(__name__)

# AccessLink serves at most this many days of biosensing per request, both ends included.
MAX_RANGE_DAYS = 28
# Time zone offsets beyond a day are not offsets (minutes east of UTC).
_MAX_OFFSET_MINUTES = 24 * 60 - 1


def _required(value: Any, what: str, field: str) -> Any:
    """Return a parsed value or raise InvalidDataError naming the field."""
    if value is None:
        raise InvalidDataError(f"{what} without a valid {field!r}")
    return value


def _test_time(data: Mapping[str, Any], what: str) -> dt.datetime:
    """Return a test's time (Unix seconds) in the time zone it was taken in."""
    seconds = _required(opt_int(data.get("test_time")), what, "test_time")
    offset = opt_int(data.get("time_zone_offset"))
    if offset is None or abs(offset) > _MAX_OFFSET_MINUTES:
        offset = 0
    try:
        return dt.datetime.fromtimestamp(seconds, dt.timezone(dt.timedelta(minutes=offset)))
    except (OverflowError, OSError, ValueError) as err:
        raise InvalidDataError(f"{what} with an impossible 'test_time'") from err


@dataclass(frozen=True, slots=True, kw_only=True)
class Spo2TestResult:
    """One SpO2 test; enums are kept as Polar's raw text, unknown values too."""

    test_time: dt.datetime
    source_device_id: str | None = None
    time_zone_offset: int | None = None
    test_status: str | None = None
    blood_oxygen_percent: int | None = None
    spo2_class: str | None = None
    spo2_value_deviation_from_baseline: str | None = None
    spo2_quality_average_percent: float | None = None
    average_heart_rate_bpm: int | None = None
    heart_rate_variability_ms: float | None = None
    spo2_hrv_deviation_from_baseline: str | None = None
    altitude_meters: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spo2TestResult:
        """Parse an spo2-test-result; only a missing or invalid test_time raises."""
        data = require_mapping(data, "SpO2 test")
        return cls(
            test_time=_test_time(data, "SpO2 test"),
            source_device_id=opt_id(data.get("source_device_id")),
            time_zone_offset=opt_int(data.get("time_zone_offset")),
            test_status=opt_str(data.get("test_status")),
            blood_oxygen_percent=opt_int(data.get("blood_oxygen_percent")),
            spo2_class=opt_str(data.get("spo2_class")),
            spo2_value_deviation_from_baseline=opt_str(
                data.get("spo2_value_deviation_from_baseline")
            ),
            spo2_quality_average_percent=opt_float(data.get("spo2_quality_average_percent")),
            average_heart_rate_bpm=opt_int(data.get("average_heart_rate_bpm")),
            heart_rate_variability_ms=opt_float(data.get("heart_rate_variability_ms")),
            spo2_hrv_deviation_from_baseline=opt_str(data.get("spo2_hrv_deviation_from_baseline")),
            altitude_meters=opt_float(data.get("altitude_meters")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SkinTemperature:
    """The skin temperature of one night's sleep and its deviation from the usual."""

    sleep_date: dt.date
    sleep_time_skin_temperature_celsius: float | None = None
    deviation_from_baseline_celsius: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkinTemperature:
        """Parse a skin-temperature object; only a missing or invalid sleep_date raises."""
        data = require_mapping(data, "skin temperature")
        return cls(
            sleep_date=_required(
                opt_date(data.get("sleep_date")), "skin temperature", "sleep_date"
            ),
            sleep_time_skin_temperature_celsius=opt_float(
                data.get("sleep_time_skin_temperature_celsius")
            ),
            deviation_from_baseline_celsius=opt_float(data.get("deviation_from_baseline_celsius")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyTemperatureSample:
    """One temperature reading, milliseconds after its period's start."""

    temperature_celsius: float
    recording_time_delta_milliseconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyTemperaturePeriod:
    """A period of body temperature readings; enums kept as Polar's raw text."""

    start_time: dt.datetime
    end_time: dt.datetime | None = None
    modified_time: dt.datetime | None = None
    source_device_id: str | None = None
    measurement_type: str | None = None
    sensor_location: str | None = None
    samples: tuple[BodyTemperatureSample, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BodyTemperaturePeriod:
        """Parse a body-temperature-period; only a missing or invalid start_time raises."""
        data = require_mapping(data, "body temperature period")
        what = "body temperature period"
        return cls(
            start_time=_required(opt_datetime(data.get("start_time")), what, "start_time"),
            end_time=opt_datetime(data.get("end_time")),
            modified_time=opt_datetime(data.get("modified_time")),
            source_device_id=opt_id(data.get("source_device_id")),
            measurement_type=opt_str(data.get("measurement_type")),
            sensor_location=opt_str(data.get("sensor_location")),
            # A sample without a temperature or a time says nothing: skipped.
            samples=tuple(
                BodyTemperatureSample(
                    temperature_celsius=temperature, recording_time_delta_milliseconds=delta
                )
                for sample in mappings(data.get("samples"))
                if (temperature := opt_float(sample.get("temperature_celsius"))) is not None
                and (delta := opt_int(sample.get("recording_time_delta_milliseconds"))) is not None
                and delta >= 0
            ),
        )

    @property
    def latest_sample(self) -> BodyTemperatureSample | None:
        """Return the last reading of the period, or None when it has none."""
        return max(
            self.samples, key=lambda sample: sample.recording_time_delta_milliseconds, default=None
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SkinContactChange:
    """The sensor touching the skin or not, milliseconds after its period's start."""

    skin_contact: bool
    recording_time_delta_milliseconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SkinContactPeriod:
    """A period of the sensor's skin contact changes."""

    start_time: dt.datetime
    end_time: dt.datetime | None = None
    modified_time: dt.datetime | None = None
    source_device_id: str | None = None
    skin_contact_changes: tuple[SkinContactChange, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkinContactPeriod:
        """Parse a skin-contact-period; only a missing or invalid start_time raises."""
        data = require_mapping(data, "skin contact period")
        what = "skin contact period"
        return cls(
            start_time=_required(opt_datetime(data.get("start_time")), what, "start_time"),
            end_time=opt_datetime(data.get("end_time")),
            modified_time=opt_datetime(data.get("modified_time")),
            source_device_id=opt_id(data.get("source_device_id")),
            skin_contact_changes=tuple(
                SkinContactChange(skin_contact=contact, recording_time_delta_milliseconds=delta)
                for change in mappings(data.get("skin_contact_changes"))
                if (contact := opt_bool(change.get("skin_contact"))) is not None
                and (delta := opt_int(change.get("recording_time_delta_milliseconds"))) is not None
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EcgSample:
    """One ECG reading, milliseconds after the test's start."""

    recording_time_delta_ms: int
    amplitude_mv: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EcgQuality:
    """The signal quality from some milliseconds after the test's start; raw enum text."""

    recording_time_delta_ms: int
    quality_level: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EcgTestResult:
    """One wrist ECG test; enums kept as Polar's raw text."""

    test_time: dt.datetime
    source_device_id: str | None = None
    time_zone_offset: int | None = None
    average_heart_rate_bpm: int | None = None
    heart_rate_variability_ms: float | None = None
    heart_rate_variability_level: str | None = None
    rri_ms: float | None = None
    pulse_transit_time_systolic_ms: float | None = None
    pulse_transit_time_diastolic_ms: float | None = None
    pulse_transit_time_quality_index: float | None = None
    samples: tuple[EcgSample, ...] = ()
    quality_measurements: tuple[EcgQuality, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EcgTestResult:
        """Parse an ecg-test-result; only a missing or invalid test_time raises."""
        data = require_mapping(data, "ECG test")
        return cls(
            test_time=_test_time(data, "ECG test"),
            source_device_id=opt_id(data.get("source_device_id")),
            time_zone_offset=opt_int(data.get("time_zone_offset")),
            average_heart_rate_bpm=opt_int(data.get("average_heart_rate_bpm")),
            heart_rate_variability_ms=opt_float(data.get("heart_rate_variability_ms")),
            heart_rate_variability_level=opt_str(data.get("heart_rate_variability_level")),
            rri_ms=opt_float(data.get("rri_ms")),
            pulse_transit_time_systolic_ms=opt_float(data.get("pulse_transit_time_systolic_ms")),
            pulse_transit_time_diastolic_ms=opt_float(data.get("pulse_transit_time_diastolic_ms")),
            pulse_transit_time_quality_index=opt_float(
                data.get("pulse_transit_time_quality_index")
            ),
            samples=tuple(
                EcgSample(recording_time_delta_ms=delta, amplitude_mv=amplitude)
                for sample in mappings(data.get("samples"))
                if (delta := opt_int(sample.get("recording_time_delta_ms"))) is not None
                and (amplitude := opt_float(sample.get("amplitude_mv"))) is not None
            ),
            quality_measurements=tuple(
                EcgQuality(recording_time_delta_ms=delta, quality_level=level)
                for quality in mappings(data.get("quality_measurements"))
                if (delta := opt_int(quality.get("recording_time_delta_ms"))) is not None
                and (level := opt_str(quality.get("quality_level"))) is not None
            ),
        )


def date_range(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    """Return the from/to query of a biosensing list; none asks for the last 28 days."""
    if start is not None and end is not None:
        if end < start:
            raise ValueError("the range ends before it starts")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"AccessLink serves at most {MAX_RANGE_DAYS} days at once")
    query: dict[str, str] = {}
    if start is not None:
        query["from"] = start.isoformat()
    if end is not None:
        query["to"] = end.isoformat()
    return query


def parse_array[T](parse: Callable[[Mapping[str, Any]], T], payload: Any, what: str) -> list[T]:
    """Parse a biosensing answer (a bare array; empty is no data), skipping refused items."""
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise AccessLinkResponseError(f"the {what} answer is not a JSON array")
    parsed: list[T] = []
    for item in payload:
        try:
            parsed.append(parse(item))
        except ValueError as err:
            _LOGGER.debug("Skipping an unusable item of the %s list: %s", what, err)
    return parsed
