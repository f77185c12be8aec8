"""Typed models of AccessLink v3 JSON: tokens, users, webhooks, notices, exercises, sleep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._convert import (
    InvalidDataError,
    opt_date,
    opt_datetime,
    opt_float,
    opt_id,
    opt_loose_int,
    opt_str,
    parse_duration,
    require_mapping,
    strings,
)
from .activity import DailyActivity
from .biosensing import (
    BodyTemperaturePeriod,
    BodyTemperatureSample,
    EcgQuality,
    EcgSample,
    EcgTestResult,
    SkinContactChange,
    SkinContactPeriod,
    SkinTemperature,
    Spo2TestResult,
)
from .cardio import CardioLoad, CardioLoadLevels
from .exercise import Exercise, ExerciseSample, HeartRateZone, RoutePoint, TrainingLoadPro
from .heart_rate import ContinuousHeartRate, HeartRateSample
from .notice import Notice
from .physical import PhysicalInfo
from .ratelimit import RateLimit
from .sleep import NightlyRecharge, Sleep
from .sleepwise import Alertness, AlertnessHour, CircadianBedtime

if TYPE_CHECKING:
    from collections.abc import Mapping
    import datetime as dt

__all__ = [
    "Alertness",
    "AlertnessHour",
    "BodyTemperaturePeriod",
    "BodyTemperatureSample",
    "CardioLoad",
    "CardioLoadLevels",
    "CircadianBedtime",
    "ContinuousHeartRate",
    "CreatedWebhook",
    "DailyActivity",
    "EcgQuality",
    "EcgSample",
    "EcgTestResult",
    "Exercise",
    "ExerciseSample",
    "HeartRateSample",
    "HeartRateZone",
    "InvalidDataError",
    "NightlyRecharge",
    "Notice",
    "PhysicalInfo",
    "RateLimit",
    "RoutePoint",
    "SkinContactChange",
    "SkinContactPeriod",
    "SkinTemperature",
    "Sleep",
    "Spo2TestResult",
    "TokenResponse",
    "TrainingLoadPro",
    "UserInfo",
    "WebhookInfo",
    "parse_duration",
]


def _required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    """Return a non-empty string field or raise ValueError."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidDataError(f"{what} without a valid {key!r}")
    return value


def _unwrap(data: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """Accept a bare object or one wrapped as {"data": {...}} or {"data": [{...}]}."""
    data = require_mapping(data, what)
    inner = data.get("data")
    if isinstance(inner, list) and len(inner) == 1:
        inner = inner[0]
    return require_mapping(inner, what) if inner is not None else data


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """The answer of Polar's OAuth2 token endpoint."""

    access_token: str
    token_type: str
    expires_in: int | None
    user_id: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenResponse:
        """Parse a token response; x_user_id may be a number or a string of digits."""
        data = require_mapping(data, "token response")
        user_id = opt_loose_int(data.get("x_user_id"))
        if user_id is None:
            raise InvalidDataError("token response without a valid 'x_user_id'")
        token_type = data.get("token_type", "bearer")
        if not isinstance(token_type, str):
            raise InvalidDataError("token response with an invalid 'token_type'")
        return cls(
            access_token=_required_str(data, "access_token", "token response"),
            token_type=token_type,
            expires_in=opt_loose_int(data.get("expires_in")),
            user_id=user_id,
        )


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A registered AccessLink user (kebab-case JSON)."""

    polar_user_id: int
    member_id: str | None = None
    registration_date: dt.datetime | None = None
    first_name: str | None = None
    last_name: str | None = None
    birthdate: dt.date | None = None
    gender: str | None = None
    weight: float | None = None
    height: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UserInfo:
        """Parse a user object; only polar-user-id is required."""
        data = require_mapping(data, "user")
        user_id = opt_loose_int(data.get("polar-user-id"))
        if user_id is None:
            raise InvalidDataError("user without a valid 'polar-user-id'")
        return cls(
            polar_user_id=user_id,
            member_id=opt_str(data.get("member-id")),
            registration_date=opt_datetime(data.get("registration-date")),
            first_name=opt_str(data.get("first-name")),
            last_name=opt_str(data.get("last-name")),
            birthdate=opt_date(data.get("birthdate")),
            gender=opt_str(data.get("gender")),
            weight=opt_float(data.get("weight")),
            height=opt_float(data.get("height")),
        )

    @property
    def name(self) -> str | None:
        """Return "First Last", whichever part exists, or None."""
        parts = (part.strip() for part in (self.first_name, self.last_name) if part)
        return " ".join(part for part in parts if part) or None


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    """The client's webhook as listed or patched (no secret)."""

    id: str
    events: tuple[str, ...]
    url: str
    active: bool | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebhookInfo:
        """Parse a webhook object, bare or wrapped in "data"."""
        data = _unwrap(data, "webhook")
        webhook_id = opt_id(data.get("id"))
        if webhook_id is None:
            raise InvalidDataError("webhook without a valid 'id'")
        active = data.get("active")
        return cls(
            id=webhook_id,
            events=strings(data.get("events")),
            url=_required_str(data, "url", "webhook"),
            active=active if isinstance(active, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class CreatedWebhook:
    """A newly created webhook with its signing secret, which Polar returns only once."""

    id: str
    events: tuple[str, ...]
    url: str
    signature_secret_key: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreatedWebhook:
        """Parse the created webhook, bare or wrapped in "data"."""
        data = _unwrap(data, "created webhook")
        webhook_id = opt_id(data.get("id"))
        if webhook_id is None:
            raise InvalidDataError("created webhook without a valid 'id'")
        return cls(
            id=webhook_id,
            events=strings(data.get("events")),
            url=_required_str(data, "url", "created webhook"),
            signature_secret_key=_required_str(data, "signature_secret_key", "created webhook"),
        )
