"""Physical information model of AccessLink v3 (/v3/users/physical-info)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any

from ._convert import opt_datetime, opt_duration, opt_float, opt_int, opt_str, require_mapping

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True, kw_only=True)
class PhysicalInfo:
    """The user's current physical settings; every field may be missing.

    Weight is kilograms, height centimetres, heart rates beats per minute. Polar's birthday
    and gender are knowingly not parsed: personal data of no use to the integration.
    """

    weight: float | None = None
    height: float | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    maximum_heart_rate: int | None = None
    resting_heart_rate: int | None = None
    aerobic_threshold: int | None = None
    anaerobic_threshold: int | None = None
    vo2_max: int | None = None
    # Enum texts kept as Polar sends them, unknown values included.
    weight_source: str | None = None
    training_background: str | None = None
    typical_day: str | None = None
    sleep_goal: dt.timedelta | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhysicalInfo:
        """Parse a physical-info object; only a payload that is not an object raises."""
        data = require_mapping(data, "physical info")
        return cls(
            weight=opt_float(data.get("weight")),
            height=opt_float(data.get("height")),
            created=opt_datetime(data.get("created")),
            modified=opt_datetime(data.get("modified")),
            maximum_heart_rate=opt_int(data.get("maximum_heart_rate")),
            resting_heart_rate=opt_int(data.get("resting_heart_rate")),
            aerobic_threshold=opt_int(data.get("aerobic_threshold")),
            anaerobic_threshold=opt_int(data.get("anaerobic_threshold")),
            vo2_max=opt_int(data.get("vo2_max")),
            weight_source=opt_str(data.get("weight_source")),
            training_background=opt_str(data.get("training_background")),
            typical_day=opt_str(data.get("typical_day")),
            sleep_goal=opt_duration(data.get("sleep_goal")),
        )
