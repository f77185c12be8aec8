"""Constants of the Polar AccessLink v3 API."""

from __future__ import annotations

from enum import StrEnum

DEFAULT_AUTHORIZE_URL = "https://flow.polar.com/oauth2/authorization"
DEFAULT_TOKEN_URL = "https://polarremote.com/v2/oauth2/token"  # noqa: S105
DEFAULT_API_URL = "https://www.polaraccesslink.com"

SCOPE = "accesslink.read_all"

HEADER_WEBHOOK_EVENT = "Polar-Webhook-Event"
HEADER_WEBHOOK_SIGNATURE = "Polar-Webhook-Signature"


class EventType(StrEnum):
    """Webhook event types; PING is sent by Polar but cannot be subscribed."""

    EXERCISE = "EXERCISE"
    SLEEP = "SLEEP"
    CONTINUOUS_HEART_RATE = "CONTINUOUS_HEART_RATE"
    ACTIVITY_SUMMARY = "ACTIVITY_SUMMARY"
    PHYSICAL_INFORMATION = "PHYSICAL_INFORMATION"
    SLEEP_WISE_CIRCADIAN_BEDTIME = "SLEEP_WISE_CIRCADIAN_BEDTIME"
    SLEEP_WISE_ALERTNESS = "SLEEP_WISE_ALERTNESS"
    PING = "PING"
