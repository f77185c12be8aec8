"""The flat exercise summary that events, entities and storage share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from .accesslink import Exercise

KNOWN_SPORTS = (
    "running",
    "cycling",
    "walking",
    "hiking",
    "swimming",
    "strength_training",
    "cross_country_skiing",
    "rowing",
    "yoga",
    "other",
)


def sport_key(sport: str | None) -> str | None:
    """Return the enum sensor key of a Polar sport; unknown sports become 'other'."""
    if not sport:
        return None
    key = sport.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in KNOWN_SPORTS else "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExerciseSummary:
    """What Home Assistant shows of one exercise."""

    exercise_id: str
    sport: str | None = None
    detailed_sport: str | None = None
    start: datetime | None = None
    duration: float | None = None
    distance: float | None = None
    calories: int | None = None
    heart_rate_average: int | None = None
    heart_rate_maximum: int | None = None
    training_load: float | None = None
    device: str | None = None

    @classmethod
    def from_exercise(cls, exercise: Exercise) -> ExerciseSummary:
        """Summarise an AccessLink exercise."""
        return cls(
            exercise_id=exercise.id,
            sport=exercise.sport,
            detailed_sport=exercise.detailed_sport_info,
            start=exercise.start_time,
            duration=exercise.duration.total_seconds() if exercise.duration else None,
            distance=exercise.distance,
            calories=exercise.calories,
            heart_rate_average=exercise.heart_rate_average,
            heart_rate_maximum=exercise.heart_rate_maximum,
            training_load=exercise.training_load,
            device=exercise.device,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExerciseSummary:
        """Rebuild a summary from its stored or event form."""
        start = data.get("start")
        return cls(
            exercise_id=str(data["exercise_id"]),
            sport=data.get("sport"),
            detailed_sport=data.get("detailed_sport"),
            start=datetime.fromisoformat(start) if isinstance(start, str) else None,
            duration=data.get("duration"),
            distance=data.get("distance"),
            calories=data.get("calories"),
            heart_rate_average=data.get("heart_rate_average"),
            heart_rate_maximum=data.get("heart_rate_maximum"),
            training_load=data.get("training_load"),
            device=data.get("device"),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form used for events and storage."""
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        return data
