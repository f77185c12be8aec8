"""Constants for the Polar Flow integration."""

from __future__ import annotations

from datetime import timedelta
import logging
import os
from typing import Final

from .accesslink import (
    DEFAULT_API_URL,
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_TOKEN_URL,
    EventType,
)

DOMAIN: Final = "polar_flow"
LOGGER = logging.getLogger(__package__)

EVENT_EXERCISE: Final = "polar_flow_exercise"
EVENT_SLEEP: Final = "polar_flow_sleep"
EVENT_NIGHTLY_RECHARGE: Final = "polar_flow_nightly_recharge"
EVENT_PHYSICAL_INFORMATION: Final = "polar_flow_physical_information"
EVENT_CARDIO_LOAD: Final = "polar_flow_cardio_load"
EVENT_SPO2: Final = "polar_flow_spo2"
EVENT_SKIN_TEMPERATURE: Final = "polar_flow_skin_temperature"
EVENT_BODY_TEMPERATURE: Final = "polar_flow_body_temperature"
EVENT_ACTIVITY: Final = "polar_flow_activity"
EVENT_CONTINUOUS_HEART_RATE: Final = "polar_flow_continuous_heart_rate"
EVENT_SLEEPWISE_ALERTNESS: Final = "polar_flow_sleepwise_alertness"
EVENT_SLEEPWISE_CIRCADIAN_BEDTIME: Final = "polar_flow_sleepwise_circadian_bedtime"
# The one webhook's events: every event a kind of data is announced by (kinds.KINDS).
SUBSCRIBED_EVENTS: Final = (
    EventType.EXERCISE,
    EventType.SLEEP,
    EventType.PHYSICAL_INFORMATION,
    EventType.ACTIVITY_SUMMARY,
    EventType.CONTINUOUS_HEART_RATE,
    EventType.SLEEP_WISE_ALERTNESS,
    EventType.SLEEP_WISE_CIRCADIAN_BEDTIME,
)

RECONCILE_INTERVAL: Final = timedelta(hours=6)
POLL_INTERVAL: Final = timedelta(minutes=30)
HEALTH_CHECK_INTERVAL: Final = timedelta(hours=6)
MAX_WEBHOOK_BODY: Final = 64 * 1024

# Developer-only switches for a local AccessLink stand-in; never shown in the UI.
ENV_AUTHORIZE_URL: Final = "POLAR_FLOW_AUTHORIZE_URL"
ENV_TOKEN_URL: Final = "POLAR_FLOW_TOKEN_URL"  # noqa: S105 - a variable name, not a secret
ENV_API_URL: Final = "POLAR_FLOW_API_URL"


def authorize_url() -> str:
    """Return Polar's authorize URL."""
    return os.environ.get(ENV_AUTHORIZE_URL) or DEFAULT_AUTHORIZE_URL


def token_url() -> str:
    """Return Polar's token URL."""
    return os.environ.get(ENV_TOKEN_URL) or DEFAULT_TOKEN_URL


def api_url() -> str:
    """Return the AccessLink API base URL."""
    return os.environ.get(ENV_API_URL) or DEFAULT_API_URL
