"""Sleep and Nightly Recharge models of AccessLink v3 (/v3/users/sleep, /nightly-recharge)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import (
    InvalidDataError,
    opt_date,
    opt_datetime,
    opt_float,
    opt_id,
    opt_int,
    require_mapping,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

# Nightly Recharge status: very poor (1) to very good (6); ANS charge status: 1 to 5.
_RECHARGE_STATUSES = range(1, 7)
_ANS_CHARGE_STATUSES = range(1, 6)


def _required_date(data: Mapping[str, Any], what: str) -> dt.date:
    """Return the result date of a night or raise InvalidDataError."""
    day = opt_date(data.get("date"))
    if day is None:
        raise InvalidDataError(f"{what} without a valid 'date'")
    return day


def _on_scale(value: Any, scale: range) -> int | None:
    """Return an integer that lies on the scale, else None."""
    number = opt_int(value)
    return number if number in scale else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sleep:
    """One night of sleep; every field but date may be missing. Durations are seconds."""

    date: dt.date
    sleep_start_time: dt.datetime | None = None
    sleep_end_time: dt.datetime | None = None
    device_id: str | None = None
    continuity: float | None = None
    continuity_class: int | None = None
    light_sleep: int | None = None
    deep_sleep: int | None = None
    rem_sleep: int | None = None
    unrecognized_sleep_stage: int | None = None
    total_interruption_duration: int | None = None
    short_interruption_duration: int | None = None
    long_interruption_duration: int | None = None
    sleep_score: int | None = None
    sleep_charge: int | None = None
    sleep_goal: int | None = None
    sleep_rating: int | None = None
    sleep_cycles: int | None = None
    group_duration_score: float | None = None
    group_solidity_score: float | None = None
    group_regeneration_score: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sleep:
        """Parse a sleep object; only a missing or invalid date raises InvalidDataError."""
        data = require_mapping(data, "sleep")
        return cls(
            date=_required_date(data, "sleep"),
            sleep_start_time=opt_datetime(data.get("sleep_start_time")),
            sleep_end_time=opt_datetime(data.get("sleep_end_time")),
            device_id=opt_id(data.get("device_id")),
            continuity=opt_float(data.get("continuity")),
            continuity_class=opt_int(data.get("continuity_class")),
            light_sleep=opt_int(data.get("light_sleep")),
            deep_sleep=opt_int(data.get("deep_sleep")),
            rem_sleep=opt_int(data.get("rem_sleep")),
            unrecognized_sleep_stage=opt_int(data.get("unrecognized_sleep_stage")),
            total_interruption_duration=opt_int(data.get("total_interruption_duration")),
            short_interruption_duration=opt_int(data.get("short_interruption_duration")),
            long_interruption_duration=opt_int(data.get("long_interruption_duration")),
            sleep_score=opt_int(data.get("sleep_score")),
            sleep_charge=opt_int(data.get("sleep_charge")),
            sleep_goal=opt_int(data.get("sleep_goal")),
            sleep_rating=opt_int(data.get("sleep_rating")),
            sleep_cycles=opt_int(data.get("sleep_cycles")),
            group_duration_score=opt_float(data.get("group_duration_score")),
            group_solidity_score=opt_float(data.get("group_solidity_score")),
            group_regeneration_score=opt_float(data.get("group_regeneration_score")),
        )

    @property
    def total_sleep(self) -> int | None:
        """Return the seconds asleep in any stage, or None when no stage is known."""
        stages = (self.light_sleep, self.deep_sleep, self.rem_sleep, self.unrecognized_sleep_stage)
        known = [seconds for seconds in stages if seconds is not None]
        return sum(known) if known else None


@dataclass(frozen=True, slots=True, kw_only=True)
class NightlyRecharge:
    """Nightly Recharge of one night; every field but date may be missing."""

    date: dt.date
    heart_rate_avg: int | None = None
    beat_to_beat_avg: int | None = None
    heart_rate_variability_avg: int | None = None
    breathing_rate_avg: float | None = None
    nightly_recharge_status: int | None = None
    ans_charge: float | None = None
    ans_charge_status: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NightlyRecharge:
        """Parse a nightly-recharge object; only a missing or invalid date raises."""
        data = require_mapping(data, "Nightly Recharge")
        return cls(
            date=_required_date(data, "Nightly Recharge"),
            heart_rate_avg=opt_int(data.get("heart_rate_avg")),
            beat_to_beat_avg=opt_int(data.get("beat_to_beat_avg")),
            heart_rate_variability_avg=opt_int(data.get("heart_rate_variability_avg")),
            breathing_rate_avg=opt_float(data.get("breathing_rate_avg")),
            nightly_recharge_status=_on_scale(
                data.get("nightly_recharge_status"), _RECHARGE_STATUSES
            ),
            ans_charge=opt_float(data.get("ans_charge")),
            ans_charge_status=_on_scale(data.get("ans_charge_status"), _ANS_CHARGE_STATUSES),
        )
