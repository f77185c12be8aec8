"""The kinds of Polar data an account publishes, each declared once."""

from __future__ import annotations

from typing import Any, Final

from .activity import ACTIVITY, ActivitySummary
from .body import (
    BODY_TEMPERATURE,
    SKIN_TEMPERATURE,
    SPO2,
    BodyTemperatureSummary,
    SkinTemperatureSummary,
    Spo2Summary,
)
from .cardio_load import CARDIO_LOAD
from .exercise import EXERCISE, ExerciseSummary
from .heart_rate import CONTINUOUS_HEART_RATE, HeartRateSummary
from .kind import (
    DataKind,
    PolarFlowSensorEntityDescription,
    PublishRule,
    SensorValue,
    Summary,
    content_hash,
)
from .physical import PHYSICAL_INFORMATION
from .recharge import NIGHTLY_RECHARGE, RechargeSummary
from .sleep import SLEEP, SleepSummary
from .sleepwise import SLEEPWISE_ALERTNESS, SLEEPWISE_CIRCADIAN_BEDTIME

__all__ = [
    "KINDS",
    "ActivitySummary",
    "BodyTemperatureSummary",
    "DataKind",
    "ExerciseSummary",
    "HeartRateSummary",
    "PolarFlowSensorEntityDescription",
    "PublishRule",
    "RechargeSummary",
    "SensorValue",
    "SkinTemperatureSummary",
    "SleepSummary",
    "Spo2Summary",
    "Summary",
    "content_hash",
    "kind_of",
]

# In the order a day's data usually arrives; a new kind is one more line here.
_DECLARED: Final[tuple[DataKind[Any], ...]] = (
    EXERCISE,
    SLEEP,
    NIGHTLY_RECHARGE,
    ACTIVITY,
    CONTINUOUS_HEART_RATE,
    PHYSICAL_INFORMATION,
    CARDIO_LOAD,
    SLEEPWISE_ALERTNESS,
    SLEEPWISE_CIRCADIAN_BEDTIME,
    SPO2,
    SKIN_TEMPERATURE,
    BODY_TEMPERATURE,
)
KINDS: Final[dict[str, DataKind[Any]]] = {kind.key: kind for kind in _DECLARED}
_BY_EVENT: Final[dict[str, DataKind[Any]]] = {
    event: kind for kind in KINDS.values() for event in kind.events
}


def kind_of(event: str) -> DataKind[Any] | None:
    """Return the kind a webhook event announces, None for events not handled."""
    return _BY_EVENT.get(event)
