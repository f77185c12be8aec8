"""The kinds of Polar data an account publishes, each declared once."""

from __future__ import annotations

from typing import Any, Final

from .exercise import EXERCISE, ExerciseSummary
from .kind import (
    DataKind,
    PolarFlowSensorEntityDescription,
    PublishRule,
    SensorValue,
    Summary,
    content_hash,
)
from .recharge import NIGHTLY_RECHARGE, RechargeSummary
from .sleep import SLEEP, SleepSummary
from .sleepwise import SLEEPWISE_ALERTNESS, SLEEPWISE_CIRCADIAN_BEDTIME

__all__ = [
    "KINDS",
    "DataKind",
    "ExerciseSummary",
    "PolarFlowSensorEntityDescription",
    "PublishRule",
    "RechargeSummary",
    "SensorValue",
    "SleepSummary",
    "Summary",
    "content_hash",
    "kind_of",
]

KINDS: Final[dict[str, DataKind[Any]]] = {
    kind.key: kind
    for kind in (
        EXERCISE,
        SLEEP,
        NIGHTLY_RECHARGE,
        SLEEPWISE_ALERTNESS,
        SLEEPWISE_CIRCADIAN_BEDTIME,
    )
}
_BY_EVENT: Final[dict[str, DataKind[Any]]] = {
    event: kind for kind in KINDS.values() for event in kind.events
}


def kind_of(event: str) -> DataKind[Any] | None:
    """Return the kind a webhook event announces, None for events not handled."""
    return _BY_EVENT.get(event)
