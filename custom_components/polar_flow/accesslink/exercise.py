"""Exercise models of AccessLink v3 (GET /v3/exercises and /v3/exercises/{id})."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import (
    InvalidDataError,
    first,
    mappings,
    opt_bool,
    opt_date,
    opt_datetime,
    opt_duration,
    opt_float,
    opt_id,
    opt_int,
    opt_mapping,
    opt_str,
    require_mapping,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_MAX_OFFSET_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class HeartRateZone:
    """Time spent between two heart-rate limits."""

    index: int | None
    lower_limit: int | None
    upper_limit: int | None
    in_zone: dt.timedelta | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeartRateZone:
        """Parse a zone object."""
        data = require_mapping(data, "zone")
        return cls(
            index=opt_int(data.get("index")),
            lower_limit=opt_int(first(data, "lower-limit", "lower_limit")),
            upper_limit=opt_int(first(data, "upper-limit", "upper_limit")),
            in_zone=opt_duration(first(data, "in-zone", "in_zone")),
        )


@dataclass(frozen=True, slots=True)
class ExerciseSample:
    """One sample series: a type, a recording rate and comma-separated values."""

    sample_type: str | None
    recording_rate: int | None
    data: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExerciseSample:
        """Parse a sample object."""
        data = require_mapping(data, "sample")
        sample_type = first(data, "sample-type", "sample_type")
        return cls(
            sample_type=opt_id(sample_type),
            recording_rate=opt_int(first(data, "recording-rate", "recording_rate")),
            data=opt_str(data.get("data")),
        )

    def values(self) -> tuple[float | None, ...]:
        """Return the values; None where the sensor was offline or a value is unreadable."""
        if not self.data:
            return ()
        return tuple(_sample_value(part) for part in self.data.split(","))


def _sample_value(text: str) -> float | None:
    """Parse one sample value."""
    try:
        return opt_float(float(text))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RoutePoint:
    """One route location."""

    latitude: float | None
    longitude: float | None
    time: dt.timedelta | None
    satellites: int | None
    fix: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutePoint:
        """Parse a location object."""
        data = require_mapping(data, "location")
        return cls(
            latitude=opt_float(data.get("latitude")),
            longitude=opt_float(data.get("longitude")),
            time=opt_duration(data.get("time")),
            satellites=opt_int(data.get("satellites")),
            fix=opt_int(data.get("fix")),
        )


@dataclass(frozen=True, slots=True)
class TrainingLoadPro:
    """Training Load Pro of one exercise."""

    date: dt.date | None
    cardio_load: float | None
    muscle_load: float | None
    perceived_load: float | None
    cardio_load_interpretation: str | None
    muscle_load_interpretation: str | None
    perceived_load_interpretation: str | None
    user_rpe: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingLoadPro:
        """Parse a training-load-pro object (kebab-case, snake_case tolerated)."""
        data = require_mapping(data, "training_load_pro")

        def get(name: str) -> Any:
            return first(data, name, name.replace("-", "_"))

        return cls(
            date=opt_date(get("date")),
            cardio_load=opt_float(get("cardio-load")),
            muscle_load=opt_float(get("muscle-load")),
            perceived_load=opt_float(get("perceived-load")),
            cardio_load_interpretation=opt_str(get("cardio-load-interpretation")),
            muscle_load_interpretation=opt_str(get("muscle-load-interpretation")),
            perceived_load_interpretation=opt_str(get("perceived-load-interpretation")),
            user_rpe=opt_str(get("user-rpe")),
        )


def _utc_offset(value: Any) -> int | None:
    """Return a UTC offset in minutes that a timezone can hold."""
    minutes = opt_int(value)
    if minutes is None or abs(minutes) >= _MAX_OFFSET_MINUTES:
        return None
    return minutes


def _start_time(value: Any, offset: int | None) -> dt.datetime | None:
    """Combine the local start time with its UTC offset; without an offset assume UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return parsed
    zone = dt.UTC if offset is None else dt.timezone(dt.timedelta(minutes=offset))
    return parsed.replace(tzinfo=zone)


def _zones(data: Mapping[str, Any]) -> Any:
    """Return the zone list, also when wrapped as {"zone": [...]}."""
    zones = data.get("heart_rate_zones")
    wrapped = opt_mapping(zones)
    return wrapped.get("zone") if wrapped is not None else zones


@dataclass(frozen=True, slots=True)
class Exercise:
    """A training session; every field but id may be missing.

    start_time is aware: the local start time with start_time_utc_offset applied,
    or taken as UTC when AccessLink gives no offset.
    """

    id: str
    upload_time: dt.datetime | None = None
    polar_user: str | None = None
    device: str | None = None
    device_id: str | None = None
    start_time: dt.datetime | None = None
    start_time_utc_offset: int | None = None
    duration: dt.timedelta | None = None
    calories: int | None = None
    distance: float | None = None
    heart_rate_average: int | None = None
    heart_rate_maximum: int | None = None
    training_load: float | None = None
    sport: str | None = None
    detailed_sport_info: str | None = None
    has_route: bool | None = None
    club_id: int | None = None
    club_name: str | None = None
    fat_percentage: int | None = None
    carbohydrate_percentage: int | None = None
    protein_percentage: int | None = None
    running_index: int | None = None
    training_load_pro: TrainingLoadPro | None = None
    heart_rate_zones: tuple[HeartRateZone, ...] = ()
    samples: tuple[ExerciseSample, ...] = ()
    route: tuple[RoutePoint, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        """Parse an exercise; only a missing or invalid id raises ValueError."""
        data = require_mapping(data, "exercise")
        exercise_id = opt_id(data.get("id"))
        if exercise_id is None:
            raise InvalidDataError("exercise without a valid id")
        offset = _utc_offset(data.get("start_time_utc_offset"))
        heart_rate = opt_mapping(data.get("heart_rate")) or {}
        load_pro = opt_mapping(data.get("training_load_pro"))
        return cls(
            id=exercise_id,
            upload_time=opt_datetime(data.get("upload_time")),
            polar_user=opt_str(data.get("polar_user")),
            device=opt_str(data.get("device")),
            device_id=opt_id(data.get("device_id")),
            start_time=_start_time(data.get("start_time"), offset),
            start_time_utc_offset=offset,
            duration=opt_duration(data.get("duration")),
            calories=opt_int(data.get("calories")),
            distance=opt_float(data.get("distance")),
            heart_rate_average=opt_int(heart_rate.get("average")),
            heart_rate_maximum=opt_int(heart_rate.get("maximum")),
            training_load=opt_float(data.get("training_load")),
            sport=opt_str(data.get("sport")),
            detailed_sport_info=opt_str(data.get("detailed_sport_info")),
            has_route=opt_bool(data.get("has_route")),
            club_id=opt_int(data.get("club_id")),
            club_name=opt_str(data.get("club_name")),
            fat_percentage=opt_int(data.get("fat_percentage")),
            carbohydrate_percentage=opt_int(data.get("carbohydrate_percentage")),
            protein_percentage=opt_int(data.get("protein_percentage")),
            running_index=opt_int(first(data, "running-index", "running_index")),
            training_load_pro=TrainingLoadPro.from_dict(load_pro) if load_pro else None,
            heart_rate_zones=tuple(
                HeartRateZone.from_dict(item) for item in mappings(_zones(data))
            ),
            samples=tuple(ExerciseSample.from_dict(item) for item in mappings(data.get("samples"))),
            route=tuple(RoutePoint.from_dict(item) for item in mappings(data.get("route"))),
        )
