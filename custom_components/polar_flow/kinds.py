"""The kinds of Polar data an account publishes, each declared once."""

from __future__ import annotations

from typing import Any, Final

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

__all__ = [
    "KINDS",
    "BodyTemperatureSummary",
    "DataKind",
    "ExerciseSummary",
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

KINDS: Final[dict[str, DataKind[Any]]] = {
    kind.key: kind
    for kind in (
        EXERCISE,
        SLEEP,
        NIGHTLY_RECHARGE,
        PHYSICAL_INFORMATION,
        CARDIO_LOAD,
        SPO2,
        SKIN_TEMPERATURE,
        BODY_TEMPERATURE,
    )
}
_BY_EVENT: Final[dict[str, DataKind[Any]]] = {
    event: kind for kind in KINDS.values() for event in kind.events
}


def kind_of(event: str) -> DataKind[Any] | None:
    """Return the kind a webhook event announces, None for events not handled."""
    return _BY_EVENT.get(event)
