"""Async client for the Polar AccessLink v3 API."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
import datetime as dt
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
import uuid

import aiohttp

from .biosensing import (
    BodyTemperaturePeriod,
    EcgTestResult,
    SkinContactPeriod,
    SkinTemperature,
    Spo2TestResult,
    date_range,
    parse_array,
)
from .const import DEFAULT_API_URL, EventType
from .errors import (
    AccessLinkConnectionError,
    AccessLinkCredentialsError,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    AccessLinkTimeoutError,
    InvalidIdError,
    error_from_response,
)
from .files import MAX_FILE_BYTES, ExerciseFileFormat, gunzip, too_large
from .models import (
    CardioLoad,
    ContinuousHeartRate,
    CreatedWebhook,
    DailyActivity,
    Exercise,
    NightlyRecharge,
    Notice,
    PhysicalInfo,
    RateLimit,
    Sleep,
    UserInfo,
    WebhookInfo,
)
from .sleepwise import Alertness, CircadianBedtime, check_range, parse_periods
from .urlguard import parse_api_url, same_endpoint

if TYPE_CHECKING:
    from yarl import URL

__all__ = ["AccessLinkClient", "check_exercise_id", "generate_member_id"]

_LOGGER = logging.getLogger(__name__)

_JSON = "application/json"
_ANY = "*/*"
_CHUNK = 64 * 1024
_NO_SEGMENTS = frozenset({"", ".", ".."})
# A hashed exercise id as a notice may carry it: one plain path segment, nothing to decode.
_EXERCISE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# The longest activity range and cardio load period AccessLink serves in one answer.
MAX_ACTIVITY_RANGE = dt.timedelta(days=28)
MAX_CARDIO_LOAD_DAYS = 180


def generate_member_id() -> str:
    """Return a fresh member id for POST /v3/users, unique per user."""
    return uuid.uuid4().hex


def check_exercise_id(exercise_id: str) -> str:
    """Return an exercise id that is one plain path segment, else raise InvalidIdError."""
    if not _EXERCISE_ID.fullmatch(exercise_id):
        raise InvalidIdError("the id is not a usable exercise id")
    return exercise_id


def _flags(*, samples: bool, zones: bool, route: bool) -> dict[str, str]:
    """Return the optional exercise query parameters that are switched on."""
    wanted = {"samples": samples, "zones": zones, "route": route}
    return {name: "true" for name, on in wanted.items() if on}


def _parse[T](parse: Callable[[Mapping[str, Any]], T], payload: Any, what: str) -> T:
    """Parse a response payload with a model, mapping invalid data to AccessLinkResponseError."""
    try:
        return parse(payload)
    except ValueError as err:
        raise AccessLinkResponseError(f"unexpected {what} in the response: {err}") from err


class AccessLinkClient:
    """Talk to Polar AccessLink v3: user calls with a Bearer token, webhook calls with Basic."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_url: str = DEFAULT_API_URL,
        client_id: str | None = None,
        client_secret: str | None = None,
        request_timeout: float = 30,
    ) -> None:
        """Use the caller's session; the client never closes it."""
        self._session = session
        self._base = parse_api_url(api_url)
        self._basic = _basic(client_id, client_secret) if client_id and client_secret else None
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._rate_limit: RateLimit | None = None

    @property
    def api_url(self) -> str:
        """Return the AccessLink API base URL."""
        return str(self._base).rstrip("/")

    @property
    def rate_limit(self) -> RateLimit | None:
        """Return the rate-limit state from the latest response that carried it."""
        return self._rate_limit

    # Users (Bearer token of the user)

    async def register_user(self, token: str, member_id: str) -> UserInfo:
        """Register the token's user with this client (409: already registered)."""
        payload = await self._call(
            "POST", self._endpoint("users"), _bearer(token), body={"member-id": member_id}
        )
        return _parse(UserInfo.from_dict, _found(payload), "user")

    async def get_user(self, token: str, user_id: int) -> UserInfo:
        """Return the registered user's information."""
        payload = await self._call("GET", self._endpoint("users", str(user_id)), _bearer(token))
        return _parse(UserInfo.from_dict, _found(payload), "user")

    async def delete_user(self, token: str, user_id: int) -> None:
        """De-register the user, which also revokes the token."""
        await self._call("DELETE", self._endpoint("users", str(user_id)), _bearer(token))

    async def list_exercises(
        self, token: str, *, samples: bool = False, zones: bool = False, route: bool = False
    ) -> list[Exercise]:
        """Return the exercises of the last 30 days; entries without an id are skipped."""
        url = self._endpoint("exercises").with_query(
            _flags(samples=samples, zones=zones, route=route)
        )
        payload = await self._call("GET", url, _bearer(token))
        if payload is None:
            return []
        if not isinstance(payload, list):
            raise AccessLinkResponseError("the exercise list is not a JSON array")
        exercises: list[Exercise] = []
        for item in payload:
            try:
                exercises.append(Exercise.from_dict(item))
            except ValueError as err:
                _LOGGER.debug("Skipping an unusable exercise in the list: %s", err)
        return exercises

    async def get_exercise(
        self,
        token: str,
        exercise_id: str,
        *,
        samples: bool = False,
        zones: bool = False,
        route: bool = False,
    ) -> Exercise:
        """Return one exercise by its hashed id."""
        url = self._endpoint("exercises", exercise_id).with_query(
            _flags(samples=samples, zones=zones, route=route)
        )
        payload = await self._call("GET", url, _bearer(token))
        return _parse(Exercise.from_dict, _found(payload), "exercise")

    async def get_exercise_file(
        self,
        token: str,
        exercise_id: str,
        file_format: ExerciseFileFormat,
        *,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> bytes:
        """Return an exercise's FIT, TCX (decompressed) or GPX file, at most max_bytes.

        No file (a GPX of an exercise without a route, 204 or 404) is raised as not found.
        """
        url = self._endpoint("exercises", check_exercise_id(exercise_id), file_format.value)
        _, data = await self._send("GET", url, _bearer(token), accept=_ANY, max_bytes=max_bytes)
        if not data:
            raise AccessLinkNotFoundError(204, message="no content")
        if file_format is ExerciseFileFormat.TCX:
            return gunzip(data, max_bytes)
        return data

    async def get_notice_exercise(
        self,
        token: str,
        notice: Notice,
        *,
        samples: bool = False,
        zones: bool = False,
        route: bool = False,
    ) -> Exercise:
        """Fetch the exercise of an EXERCISE notice by its entity_id; its url is only a hint."""
        if notice.event != EventType.EXERCISE:
            raise ValueError(f"not an EXERCISE notice: {notice.event}")
        exercise_id = check_exercise_id(notice.entity_id or "")
        url = self._endpoint("exercises", exercise_id)
        if notice.url and not same_endpoint(url, notice.url):
            _LOGGER.debug("The notice's url differs from %s; fetching that instead", url.path)
        return await self.get_exercise(
            token, exercise_id, samples=samples, zones=zones, route=route
        )

    # Sleep and Nightly Recharge of the last 28 days (Bearer token of the user)

    async def list_sleep(self, token: str) -> list[Sleep]:
        """Return the nights of the last 28 days; nights without a date are skipped."""
        payload = await self._call("GET", self._endpoint("users", "sleep"), _bearer(token))
        return _items(Sleep.from_dict, payload, "nights")

    async def get_sleep(self, token: str, day: dt.date) -> Sleep:
        """Return the sleep whose result date is day."""
        url = self._endpoint("users", "sleep", _iso_day(day))
        payload = await self._call("GET", url, _bearer(token))
        return _parse(Sleep.from_dict, _found(payload), "sleep")

    async def list_nightly_recharge(self, token: str) -> list[NightlyRecharge]:
        """Return the Nightly Recharges of the last 28 days; those without a date are skipped."""
        url = self._endpoint("users", "nightly-recharge")
        payload = await self._call("GET", url, _bearer(token))
        return _items(NightlyRecharge.from_dict, payload, "recharges")

    async def get_nightly_recharge(self, token: str, day: dt.date) -> NightlyRecharge:
        """Return the Nightly Recharge of the night that ended on day."""
        url = self._endpoint("users", "nightly-recharge", _iso_day(day))
        payload = await self._call("GET", url, _bearer(token))
        return _parse(NightlyRecharge.from_dict, _found(payload), "Nightly Recharge")

    # Webhook (HTTP Basic with the client credentials)

    async def create_webhook(self, url: str, events: Sequence[str]) -> CreatedWebhook:
        """Create the client's webhook; Polar pings url first and returns the secret once."""
        body = {"events": list(events), "url": url}
        endpoint = self._endpoint("webhooks")
        payload = await self._call("POST", endpoint, self._basic_auth(), body=body)
        return _parse(CreatedWebhook.from_dict, payload, "created webhook")

    async def list_webhooks(self) -> list[WebhookInfo]:
        """Return the client's webhooks (zero or one)."""
        payload = await self._call("GET", self._endpoint("webhooks"), self._basic_auth())
        if payload is None:
            return []
        if not isinstance(payload, Mapping):
            raise AccessLinkResponseError("the webhook list is not a JSON object")
        items = payload.get("data") or []
        if isinstance(items, Mapping):
            items = [items]
        if not isinstance(items, list):
            raise AccessLinkResponseError("the webhook list has no 'data' array")
        return [_parse(WebhookInfo.from_dict, item, "webhook") for item in items]

    async def update_webhook(
        self, webhook_id: str, *, url: str | None = None, events: Sequence[str] | None = None
    ) -> WebhookInfo:
        """Change the webhook's url and/or events; a new url is pinged by Polar."""
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = list(events)
        if not body:
            raise ValueError("update_webhook needs a url or events")
        payload = await self._call(
            "PATCH", self._endpoint("webhooks", webhook_id), self._basic_auth(), body=body
        )
        return _parse(WebhookInfo.from_dict, payload, "webhook")

    async def delete_webhook(self, webhook_id: str) -> None:
        """Delete the webhook."""
        await self._call("DELETE", self._endpoint("webhooks", webhook_id), self._basic_auth())

    async def activate_webhook(self) -> bool:
        """Activate the webhook (Polar pings it); False when no webhook exists (204)."""
        return await self._post_state("activate")

    async def deactivate_webhook(self) -> bool:
        """Deactivate the webhook; False when no webhook exists (204)."""
        return await self._post_state("deactivate")

    async def _post_state(self, action: str) -> bool:
        """POST /v3/webhooks/{action}; True unless AccessLink answers 204."""
        url = self._endpoint("webhooks", action)
        status, _ = await self._send("POST", url, self._basic_auth())
        return status != 204

    # Plumbing

    def _basic_auth(self) -> str:
        """Return the Basic Authorization header of the client credentials."""
        if self._basic is None:
            raise AccessLinkCredentialsError(
                "webhook calls need the client_id and client_secret of the AccessLink client"
            )
        return self._basic

    def _endpoint(self, *segments: str) -> URL:
        """Build /v3/... under the base URL, each segment percent-encoded."""
        if any(segment in _NO_SEGMENTS for segment in segments):
            raise ValueError("empty or relative path segment in an AccessLink path")
        path = "/".join(quote(segment, safe="") for segment in ("v3", *segments))
        return self._base.with_path(f"{self._base.raw_path.rstrip('/')}/{path}", encoded=True)

    async def _call(self, method: str, url: URL, authorization: str, *, body: Any = None) -> Any:
        """Send a request and return its JSON, or None for an empty 2xx body."""
        _, data = await self._send(method, url, authorization, body=body)
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError as err:
            raise AccessLinkResponseError(f"{method} {url.path}: invalid JSON: {err}") from err

    async def _send(
        self,
        method: str,
        url: URL,
        authorization: str,
        *,
        body: Any = None,
        accept: str = _JSON,
        max_bytes: int | None = None,
    ) -> tuple[int, bytes]:
        """Send a request and return status and body of a 2xx answer; raise for the rest."""
        headers = {"Accept": accept, "Authorization": authorization}
        _LOGGER.debug("AccessLink request: %s %s", method, url.path)
        try:
            async with self._session.request(
                method,
                url,
                headers=headers,
                json=body,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                data = await _read(response, max_bytes)
                status = response.status
                response_headers = response.headers
        except TimeoutError as err:
            raise AccessLinkTimeoutError(
                f"{method} {url.path}: no answer within {self._timeout.total} s"
            ) from err
        except aiohttp.ClientError as err:
            raise AccessLinkConnectionError(f"{method} {url.path}: {err}") from err
        _LOGGER.debug(
            "AccessLink response: %s %s -> %s (%d bytes)", method, url.path, status, len(data)
        )
        rate_limit = RateLimit.from_headers(response_headers)
        if rate_limit is not None:
            self._rate_limit = rate_limit
        if status >= 400:
            raise error_from_response(status, data, response_headers)
        if not 200 <= status < 300:
            raise AccessLinkResponseError(f"{method} {url.path}: unexpected HTTP status {status}")
        return status, data

    # Physical information and cardio load (Bearer token of the user)

    async def get_physical_info(self, token: str) -> PhysicalInfo:
        """Return the user's current physical information."""
        url = self._endpoint("users", "physical-info")
        payload = await self._call("GET", url, _bearer(token))
        return _parse(PhysicalInfo.from_dict, _found(payload), "physical info")

    async def list_cardio_load(self, token: str) -> list[CardioLoad]:
        """Return the cardio loads of the last 28 days; days without a date are skipped."""
        payload = await self._call("GET", self._endpoint("users", "cardio-load"), _bearer(token))
        return _cardio_loads(payload)

    async def get_cardio_load(self, token: str, day: dt.date) -> list[CardioLoad]:
        """Return the cardio load of day, as the list AccessLink answers with."""
        url = self._endpoint("users", "cardio-load", _iso_day(day))
        return _cardio_loads(await self._call("GET", url, _bearer(token)))

    async def list_cardio_load_days(self, token: str, days: int) -> list[CardioLoad]:
        """Return the cardio loads of the last days (1 to 180) counted back from today."""
        if not 1 <= days <= MAX_CARDIO_LOAD_DAYS:
            raise ValueError("a cardio load period spans 1 to 180 days")
        url = self._endpoint("users", "cardio-load", "period", "days", str(days))
        return _cardio_loads(await self._call("GET", url, _bearer(token)))

    # Elixir biosensing, only from devices with the sensors (Bearer token of the user)

    async def list_spo2(
        self, token: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[Spo2TestResult]:
        """Return the SpO2 tests from start to end (the last 28 days by default)."""
        return await self._biosensing(token, "spo2", start, end, Spo2TestResult.from_dict)

    async def list_skin_temperature(
        self, token: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[SkinTemperature]:
        """Return the nights' skin temperatures from start to end (the last 28 days by default)."""
        return await self._biosensing(
            token, "skintemperature", start, end, SkinTemperature.from_dict
        )

    async def list_body_temperature(
        self, token: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[BodyTemperaturePeriod]:
        """Return the body temperature periods from start to end (the last 28 days by default)."""
        return await self._biosensing(
            token, "bodytemperature", start, end, BodyTemperaturePeriod.from_dict
        )

    async def list_skin_contacts(
        self, token: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[SkinContactPeriod]:
        """Return the skin contact periods from start to end (the last 28 days by default)."""
        return await self._biosensing(
            token, "skincontacts", start, end, SkinContactPeriod.from_dict
        )

    async def list_ecg(
        self, token: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[EcgTestResult]:
        """Return the wrist ECG tests from start to end (the last 28 days by default)."""
        return await self._biosensing(token, "ecg", start, end, EcgTestResult.from_dict)

    async def _biosensing[T](
        self,
        token: str,
        name: str,
        start: dt.date | None,
        end: dt.date | None,
        parse: Callable[[Mapping[str, Any]], T],
    ) -> list[T]:
        """GET a biosensing list; no content and not found (no such sensor) are no data."""
        url = self._endpoint("users", "biosensing", name).with_query(date_range(start, end))
        try:
            payload = await self._call("GET", url, _bearer(token))
        except AccessLinkNotFoundError:
            return []
        return parse_array(parse, payload, name)

    # Daily activity and continuous heart rate (Bearer token of the user)

    async def list_activities(self, token: str) -> list[DailyActivity]:
        """Return the daily activities of the last 28 days; days without a date are skipped."""
        payload = await self._call("GET", self._endpoint("users", "activities"), _bearer(token))
        return _activities(payload)

    async def list_activities_between(
        self, token: str, first: dt.date, last: dt.date
    ) -> list[DailyActivity]:
        """Return the daily activities of the dates first to last (at most 28 days apart).

        AccessLink serves no date older than 365 days; a range it refuses is never sent.
        """
        first, last = _as_date(first), _as_date(last)
        if not dt.timedelta(0) <= last - first <= MAX_ACTIVITY_RANGE:
            raise ValueError("an activity range spans 0 to 28 days")
        url = self._endpoint("users", "activities").with_query(
            {"from": first.isoformat(), "to": last.isoformat()}
        )
        return _activities(await self._call("GET", url, _bearer(token)))

    async def get_activity(self, token: str, day: dt.date) -> DailyActivity:
        """Return the daily activity of day (none yet: 204, raised as not found)."""
        day = day.date() if isinstance(day, dt.datetime) else day
        url = self._endpoint("users", "activities", day.isoformat())
        payload = _found(await self._call("GET", url, _bearer(token)))

        def parse(data: Mapping[str, Any]) -> DailyActivity:
            return DailyActivity.from_dict(data, day=day)

        return _parse(parse, payload, "activity")

    async def get_continuous_heart_rate(self, token: str, day: dt.date) -> ContinuousHeartRate:
        """Return the continuous heart rate of day (none: 404, raised as not found)."""
        url = self._endpoint("users", "continuous-heart-rate", _iso_day(day))
        payload = await self._call("GET", url, _bearer(token))
        return _parse(ContinuousHeartRate.from_dict, _found(payload), "continuous heart rate")

    async def list_continuous_heart_rate(
        self, token: str, first: dt.date, last: dt.date
    ) -> list[ContinuousHeartRate]:
        """Return the continuous heart rate of the days first to last, both included."""
        url = self._endpoint("users", "continuous-heart-rate").with_query(
            {"from": _iso_day(first), "to": _iso_day(last)}
        )
        payload = await self._call("GET", url, _bearer(token))
        if isinstance(payload, Mapping) and "heart_rates" not in payload and "date" in payload:
            # The spec describes one day's object here; AccessLink wraps days in heart_rates.
            payload = {"heart_rates": [payload]}
        return _items(ContinuousHeartRate.from_dict, payload, "heart_rates")

    # SleepWise periods: the last 28 days, or a from..to range of at most 28 days

    async def list_alertness(self, token: str) -> list[Alertness]:
        """Return the alertness periods of the last 28 days; none without a SleepWise device."""
        return await self._sleepwise(token, "alertness", Alertness.from_dict)

    async def get_alertness(self, token: str, start: dt.date, end: dt.date) -> list[Alertness]:
        """Return the alertness periods of the dates start..end (inclusive, at most 28 days)."""
        return await self._sleepwise(token, "alertness", Alertness.from_dict, start, end)

    async def list_circadian_bedtime(self, token: str) -> list[CircadianBedtime]:
        """Return the circadian bedtime periods of the last 28 days."""
        return await self._sleepwise(token, "circadian-bedtime", CircadianBedtime.from_dict)

    async def get_circadian_bedtime(
        self, token: str, start: dt.date, end: dt.date
    ) -> list[CircadianBedtime]:
        """Return the circadian bedtime periods of the dates start..end (at most 28 days)."""
        return await self._sleepwise(
            token, "circadian-bedtime", CircadianBedtime.from_dict, start, end
        )

    async def _sleepwise[T](
        self,
        token: str,
        what: str,
        parse: Callable[[Mapping[str, Any]], T],
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[T]:
        """GET SleepWise periods; a range is checked before anything is sent."""
        authorization = _bearer(token)
        url = self._endpoint("users", "sleepwise", what)
        if start is not None and end is not None:
            start, end = _as_date(start), _as_date(end)
            check_range(start, end)
            url = self._endpoint("users", "sleepwise", what, "date").with_query(
                {"from": start.isoformat(), "to": end.isoformat()}
            )
        payload = await self._call("GET", url, authorization)
        return _parse(lambda data: parse_periods(parse, data), payload, f"{what} periods")


async def _read(response: aiohttp.ClientResponse, max_bytes: int | None) -> bytes:
    """Return the body of a response, refusing one longer than max_bytes."""
    if max_bytes is None:
        return await response.read()
    length = response.headers.get(aiohttp.hdrs.CONTENT_LENGTH, "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_large(max_bytes)
    data = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise too_large(max_bytes)
    return bytes(data)


def _basic(client_id: str, client_secret: str) -> str:
    """Return the Basic Authorization header of the client credentials."""
    pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {pair}"


def _bearer(token: str) -> str:
    """Return the Bearer Authorization header of a user token."""
    if not token:
        raise ValueError("an access token is required")
    return f"Bearer {token}"


def _iso_day(day: dt.date) -> str:
    """Return the ISO date of a path; a datetime counts by its own date."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day.isoformat()


def _items[T](parse: Callable[[Mapping[str, Any]], T], payload: Any, key: str) -> list[T]:
    """Parse the array under key of a list answer, skipping the items a model refuses."""
    if payload is None:
        return []
    if not isinstance(payload, Mapping):
        raise AccessLinkResponseError(f"the {key} list is not a JSON object")
    items = payload.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise AccessLinkResponseError(f"the {key} list has no {key!r} array")
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except ValueError as err:
            _LOGGER.debug("Skipping an unusable item of the %s list: %s", key, err)
    return parsed


def _found(payload: Any) -> Any:
    """Treat an empty answer (204) where an object was expected as not found."""
    if payload is None:
        raise AccessLinkNotFoundError(204, message="no content")
    return payload


def _activities(payload: Any) -> list[DailyActivity]:
    """Parse an activity array, skipping the days a model refuses; no content is no days."""
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise AccessLinkResponseError("the activity list is not a JSON array")
    activities: list[DailyActivity] = []
    for item in payload:
        try:
            activities.append(DailyActivity.from_dict(item))
        except ValueError as err:
            _LOGGER.debug("Skipping an unusable day of the activity list: %s", err)
    return activities


def _cardio_loads(payload: Any) -> list[CardioLoad]:
    """Parse a cardio-load array, skipping the days a model refuses; no content is no days."""
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise AccessLinkResponseError("the cardio load answer is not a JSON array")
    loads: list[CardioLoad] = []
    for item in payload:
        try:
            loads.append(CardioLoad.from_dict(item))
        except ValueError as err:
            _LOGGER.debug("Skipping an unusable cardio load: %s", err)
    return loads


def _as_date(day: dt.date) -> dt.date:
    """Return a date; a datetime counts by its own date."""
    return day.date() if isinstance(day, dt.datetime) else day
