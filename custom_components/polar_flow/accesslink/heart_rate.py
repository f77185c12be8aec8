"""Continuous heart rate model of AccessLink v3 (/v3/users/continuous-heart-rate)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import InvalidDataError, mappings, opt_date, opt_int, opt_str, require_mapping

if TYPE_CHECKING:
    from collections.abc import Mapping

# A heart rate in bpm outside this range is a device artefact, not a measurement.
_HEART_RATES = range(1, 300)


def _sample_time(value: Any) -> dt.time | None:
    """Parse a device-local "HH:mm:ss" sample time."""
    if (text := opt_str(value)) is None:
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class HeartRateSample:
    """One heart rate (bpm) at a time of day in the device's own time."""

    time: dt.time
    heart_rate: int


def _sample(data: Mapping[str, Any]) -> HeartRateSample | None:
    """Parse a sample; one without a time or a plausible heart rate is None."""
    time = _sample_time(data.get("sample_time"))
    heart_rate = opt_int(data.get("heart_rate"))
    if time is None or heart_rate is None or heart_rate not in _HEART_RATES:
        return None
    return HeartRateSample(time, heart_rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContinuousHeartRate:
    """A day of continuous heart rate: samples in time order, unusable ones left out."""

    date: dt.date
    samples: tuple[HeartRateSample, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContinuousHeartRate:
        """Parse a continuous-heartrate object; only a missing or invalid date raises."""
        data = require_mapping(data, "continuous heart rate")
        day = opt_date(data.get("date"))
        if day is None:
            raise InvalidDataError("continuous heart rate without a valid 'date'")
        # polar_user, a link to the owner, is knowingly ignored: the token tells whose data it is.
        samples = [
            sample
            for item in mappings(data.get("heart_rate_samples"))
            if (sample := _sample(item)) is not None
        ]
        return cls(date=day, samples=tuple(sorted(samples, key=lambda sample: sample.time)))
