"""Daily activity model of AccessLink v3 (/v3/users/activities)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import (
    InvalidDataError,
    opt_date,
    opt_datetime,
    opt_duration,
    opt_float,
    opt_int,
    opt_mapping,
    opt_str,
    require_mapping,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


def _day_of(data: Mapping[str, Any]) -> dt.date | None:
    """Return the day an activity summary is of: its start, else the date of its samples."""
    # The summary carries no date of its own; its start_time is the start of that day.
    if (start := opt_str(data.get("start_time"))) is not None and (
        day := opt_date(start[:10])
    ) is not None:
        return day
    samples = opt_mapping(data.get("samples")) or {}
    return opt_date(data.get("date")) or opt_date(samples.get("date"))


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyActivity:
    """One day's activity; every field but date may be missing.

    Polar documents start and end as UTC (given without an offset); durations are timedeltas.
    The samples (steps, activity zones, inactivity stamps) are knowingly not parsed:
    they are only sent when asked for, and nothing here asks for them.
    """

    date: dt.date
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    active_duration: dt.timedelta | None = None
    inactive_duration: dt.timedelta | None = None
    daily_activity: float | None = None
    calories: int | None = None
    active_calories: int | None = None
    steps: int | None = None
    inactivity_alert_count: int | None = None
    distance_from_steps: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, day: dt.date | None = None) -> DailyActivity:
        """Parse an activity summary of day (else of its own start); raise without a day."""
        data = require_mapping(data, "activity")
        if (day := day or _day_of(data)) is None:
            raise InvalidDataError("activity without a valid 'start_time'")
        return cls(
            date=day,
            start_time=opt_datetime(data.get("start_time")),
            end_time=opt_datetime(data.get("end_time")),
            active_duration=opt_duration(data.get("active_duration")),
            inactive_duration=opt_duration(data.get("inactive_duration")),
            daily_activity=opt_float(data.get("daily_activity")),
            calories=opt_int(data.get("calories")),
            active_calories=opt_int(data.get("active_calories")),
            steps=opt_int(data.get("steps")),
            inactivity_alert_count=opt_int(data.get("inactivity_alert_count")),
            distance_from_steps=opt_float(data.get("distance_from_steps")),
        )
