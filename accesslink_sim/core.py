"""The Simulator: state, clock, generators, pushes and persistence, independent of HTTP."""

from __future__ import annotations

import asyncio
import base64
import binascii
from bisect import bisect_left, insort
import contextlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
import logging
import random
import secrets
from typing import TYPE_CHECKING, Any

from .biosensing import generate_body_temperature, generate_skin_temperature, generate_spo2
from .clock import Clock, iso_z
from .data import (
    SPORTS,
    generate_activity,
    generate_chr,
    generate_exercise,
    generate_physical,
    generate_sleep,
    new_hash_id,
    parse_iso_duration,
    rng_for,
    workout_end,
)
from .errors import ApiError
from .faults import Faults
from .push import Pusher, build_notice
from .ratelimit import RateLimiter
from .sleepwise import generate_alertness, generate_bedtime
from .state import (
    Client,
    DayRecord,
    Exercise,
    Registration,
    SimState,
    Token,
    User,
    day_key,
    load_state,
    reg_key,
    save_state,
)

if TYPE_CHECKING:
    from .config import SimConfig

_LOGGER = logging.getLogger(__name__)
FIRST_USER_ID = 10_000_000
DATA_DAYS = 30


@dataclass(slots=True)
class _UserWorkouts:
    """One user's workouts in upload order, and when the latest readable one ended."""

    exercises: list[Exercise]
    last_end: float | None


def _uploaded_at(exercise: Exercise) -> float:
    """Return when an exercise was uploaded: the order AccessLink lists them in."""
    return exercise.uploaded_at


class Simulator:
    """One simulated AccessLink: the world and the operations on it."""

    def __init__(self, config: SimConfig) -> None:
        """Build an empty world (or the one in the state file) and apply the start-up file."""
        self.config = config
        loaded = load_state(config.state_file) if config.state_file else None
        self.state = loaded or SimState()
        self.clock = Clock(self.state.clock_offset)
        self.faults = Faults()
        self.rates = RateLimiter(config.rate_limits)
        self.pusher = Pusher(config, lambda: self.state, self.clock, self.faults, self.mark_dirty)
        self.requests: dict[str, int] = {}
        self.requests_by_user: dict[int, dict[str, int]] = {}
        self.rng = random.Random(f"{config.seed}:ids")  # noqa: S311
        self._dirty = False
        self._saver: asyncio.Task[None] | None = None
        # Per user: the workouts in upload order, and when the latest ended; for the state it was
        # built from. Requests of one user so never scan every user's workouts.
        self._workouts: tuple[SimState, dict[int, _UserWorkouts]] = (self.state, {})
        if loaded is None:
            self.state.settings.auto_approve = config.auto_approve
            self.state.settings.recharge_delay = recharge_delay(config.recharge_delay)
            self.apply_initial(config.initial)

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Return the URL that notices and links point at."""
        return self.pusher.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        """Set the URL that notices and links point at."""
        self.pusher.base_url = value.rstrip("/")

    def mark_dirty(self) -> None:
        """Remember that the state changed and save it soon."""
        if self.config.state_file is None:
            return
        self._dirty = True
        if self._saver is None or self._saver.done():
            with contextlib.suppress(RuntimeError):
                self._saver = asyncio.get_running_loop().create_task(self._save_soon())

    async def _save_soon(self) -> None:
        """Coalesce changes and write the state file."""
        await asyncio.sleep(0.2)
        self.save()

    def save(self) -> None:
        """Write the state file now (when one is configured)."""
        if self.config.state_file is None:
            return
        self._dirty = False
        self.state.clock_offset = self.clock.offset
        try:
            save_state(self.state, self.config.state_file)
        except OSError:
            _LOGGER.exception("Cannot write state file %s", self.config.state_file)

    async def close(self) -> None:
        """Stop deliveries and save."""
        if self._saver is not None and not self._saver.done():
            self._saver.cancel()
        await self.pusher.close()
        self.save()

    def apply_initial(self, initial: dict[str, Any]) -> None:
        """Create the clients and users of a start-up file."""
        for raw in initial.get("clients", []):
            self.add_client(
                **_pick(
                    raw, ("client_id", "client_secret", "redirect_uris", "auto_approve", "name")
                )
            )
        for raw in initial.get("users", []):
            self.add_user(**_pick(raw, USER_FIELDS))
        settings = initial.get("settings", {})
        if "auto_approve" in settings:
            self.state.settings.auto_approve = bool(settings["auto_approve"])
        if "current_user" in settings:
            self.set_current_user(settings["current_user"])
        if "recharge_delay" in settings:
            self.state.settings.recharge_delay = recharge_delay(settings["recharge_delay"])

    # ---- clients, users, tokens -------------------------------------------------------
    def add_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
        auto_approve: bool | None = None,
        name: str = "",
    ) -> Client:
        """Register a partner client."""
        client_id = client_id or f"sim-client-{new_hash_id(self.rng, 10).lower()}"
        if not isinstance(client_id, str) or not client_id or ":" in client_id:
            raise ApiError(400, "client_id must be a non-empty string without ':'")
        if client_id in self.state.clients:
            raise ApiError(409, f"client {client_id} already exists")
        uris = redirect_uris or []
        if not isinstance(uris, list) or not all(isinstance(u, str) and u for u in uris):
            raise ApiError(400, "redirect_uris must be a list of URLs")
        client = Client(
            client_id=client_id,
            client_secret=client_secret or new_hash_id(self.rng, 32),
            redirect_uris=list(uris),
            auto_approve=auto_approve,
            name=name or client_id,
        )
        self.state.clients[client_id] = client
        self.mark_dirty()
        return client

    def add_user(self, **fields: Any) -> User:
        """Create a Polar account."""
        user_id = fields.pop("user_id", None)
        if user_id is None:
            user_id = FIRST_USER_ID + self.state.next_number()
            while user_id in self.state.users:
                user_id = FIRST_USER_ID + self.state.next_number()
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise ApiError(400, "user_id must be a positive integer")
        if user_id in self.state.users:
            raise ApiError(409, f"user {user_id} already exists")
        n = len(self.state.users)
        defaults = User(
            user_id=user_id, first_name=FIRST_NAMES[n % len(FIRST_NAMES)], last_name="Polar"
        )
        user = _apply_user_fields(defaults, fields)
        self.state.users[user_id] = user
        self.mark_dirty()
        return user

    def update_user(self, user_id: int, fields: dict[str, Any]) -> User:
        """Change a user's fields (e.g. consents)."""
        user = self.user(user_id)
        fields = dict(fields)
        fields.pop("user_id", None)
        updated = _apply_user_fields(user, fields)
        self.state.users[user_id] = updated
        self.mark_dirty()
        return updated

    def user(self, user_id: int) -> User:
        """Return a user or raise 404."""
        user = self.state.users.get(user_id)
        if user is None:
            raise ApiError(404, f"user {user_id} not found")
        return user

    def client(self, client_id: str) -> Client:
        """Return a client or raise 404."""
        client = self.state.clients.get(client_id)
        if client is None:
            raise ApiError(404, f"client {client_id} not found")
        return client

    def set_current_user(self, user_id: int | None) -> None:
        """Choose who signs in at the authorization page."""
        if user_id is not None:
            self.user(user_id)
        self.state.settings.current_user = user_id
        self.mark_dirty()

    def signing_user(self, requested: str | None) -> User:
        """Return who signs in: ?user=, else the current user, else the first user."""
        if requested:
            try:
                return self.user(int(requested))
            except ValueError as err:
                raise ApiError(400, "user must be a Polar user id") from err
        current = self.state.settings.current_user
        if current is not None and current in self.state.users:
            return self.state.users[current]
        if not self.state.users:
            raise ApiError(400, "no simulated users exist: create one through POST /_sim/users")
        return self.state.users[min(self.state.users)]

    def auto_approves(self, client: Client) -> bool:
        """Tell whether the authorization page approves by itself for this client."""
        if client.auto_approve is not None:
            return client.auto_approve
        return self.state.settings.auto_approve

    def mint_token(self, client_id: str, user_id: int, code: str | None = None) -> Token:
        """Issue an access token."""
        now = self.clock.now()
        token = Token(
            access_token=secrets.token_urlsafe(32),
            client_id=client_id,
            user_id=user_id,
            issued_at=now,
            expires_at=now + self.config.token_expires_in,
            code=code,
        )
        self.state.tokens[token.access_token] = token
        self.mark_dirty()
        return token

    def revoke_tokens(
        self, *, user_id: int | None = None, client_id: str | None = None, code: str | None = None
    ) -> int:
        """Revoke matching tokens; return how many."""
        count = 0
        for token in self.state.tokens.values():
            if token.revoked:
                continue
            if user_id is not None and token.user_id != user_id:
                continue
            if client_id is not None and token.client_id != client_id:
                continue
            if code is not None and token.code != code:
                continue
            token.revoked = True
            count += 1
        if count:
            self.mark_dirty()
        return count

    def bearer(self, header: str | None) -> Token:
        """Return the valid token of an Authorization: Bearer header, else raise 401."""
        if not header or not header[:7].lower() == "bearer ":
            raise ApiError(401, "Missing or invalid bearer token")
        token = self.state.tokens.get(header[7:].strip())
        if token is None or token.revoked or token.expires_at <= self.clock.now():
            raise ApiError(401, "Invalid, expired or revoked access token")
        return token

    def basic_client(self, header: str | None) -> Client:
        """Return the client of valid HTTP Basic client credentials, else raise 401."""
        client_id, secret = parse_basic(header)
        client = self.state.clients.get(client_id or "")
        if (
            client is None
            or secret is None
            or not secrets.compare_digest(client.client_secret, secret)
        ):
            raise ApiError(401, "Invalid client credentials")
        return client

    def client_of_request(self, authorization: str | None) -> str | None:
        """Attribute a request to a client for rate limiting (None when impossible)."""
        if not authorization:
            return None
        if authorization[:7].lower() == "bearer ":
            token = self.state.tokens.get(authorization[7:].strip())
            return token.client_id if token else None
        client_id, secret = parse_basic(authorization)
        client = self.state.clients.get(client_id or "")
        if client is not None and secret == client.client_secret:
            return client.client_id
        return None

    # ---- registrations --------------------------------------------------------------
    def register(self, token: Token, member_id: str) -> Registration:
        """Register the token's user to its client (POST /v3/users)."""
        user = self.user(token.user_id)
        if not user.consents:
            raise ApiError(403, "User has not accepted all mandatory consents")
        if self.state.registration(token.client_id, token.user_id) is not None:
            raise ApiError(409, "User already registered to partner")
        for reg in self.state.registrations.values():
            if reg.client_id == token.client_id and reg.member_id == member_id:
                raise ApiError(409, "Duplicated member-id")
        reg = Registration(token.client_id, token.user_id, member_id, self.clock.now())
        self.state.registrations[reg_key(token.client_id, token.user_id)] = reg
        self.mark_dirty()
        return reg

    def deregister(self, client_id: str, user_id: int) -> bool:
        """De-register a user from a client and revoke its tokens."""
        existed = self.state.registrations.pop(reg_key(client_id, user_id), None) is not None
        self.revoke_tokens(user_id=user_id, client_id=client_id)
        self.mark_dirty()
        return existed

    def user_json(self, user: User, reg: Registration) -> dict[str, Any]:
        """Return the user document of GET/POST /v3/users."""
        return {
            "polar-user-id": user.user_id,
            "member-id": reg.member_id,
            "registration-date": iso_z(reg.registered_at, millis=True),
            "first-name": user.first_name,
            "last-name": user.last_name,
            "birthdate": user.birthdate,
            "gender": user.gender,
            "weight": user.weight,
            "height": user.height,
            "extra-info": [],
        }

    def data_access(self, token: Token) -> Registration:
        """Check a token may read data: registered and consenting; return the registration."""
        reg = self.state.registration(token.client_id, token.user_id)
        if reg is None:
            raise ApiError(403, "User is not registered to this client")
        if not self.user(token.user_id).consents:
            raise ApiError(403, "User has not accepted all mandatory consents")
        return reg

    # ---- data -------------------------------------------------------------------------
    def finish_workout(
        self, user_id: int, fields: dict[str, Any] | None = None, *, push: bool = True
    ) -> tuple[Exercise, dict[str, Any] | None]:
        """Record a workout that has just ended and (optionally) push EXERCISE."""
        user = self.user(user_id)
        fields = dict(fields or {})
        mine = self._workouts_of(user_id)
        n, last_end = len(mine.exercises), mine.last_end
        rng = rng_for(self.config.seed, user_id, "exercise", n)
        explicit_id = fields.pop("id", None)
        exercise_id = explicit_id or new_hash_id(rng)
        if not isinstance(exercise_id, str) or "/" in exercise_id or len(exercise_id) > 64:
            raise ApiError(400, "id must be a short string without '/'")
        while exercise_id in self.state.exercises:
            if explicit_id:
                raise ApiError(409, f"exercise {exercise_id} exists")
            exercise_id = new_hash_id(rng)
        sport = fields.get("sport")
        if sport is not None and not isinstance(sport, str):
            raise ApiError(400, "sport must be a string")
        duration = fields.get("duration")
        duration_s: float | None = None
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            duration_s = float(duration)
            fields.pop("duration")
        elif isinstance(duration, str):
            duration_s = parse_iso_duration(duration)
            if duration_s is None:
                raise ApiError(400, "duration must be seconds or an ISO-8601 duration")
        elif duration is not None:
            raise ApiError(400, "duration must be seconds or an ISO-8601 duration")
        distance = fields.get("distance")
        if distance is not None and (
            not isinstance(distance, int | float) or isinstance(distance, bool)
        ):
            raise ApiError(400, "distance must be a number")
        now = self.clock.now()
        summary, samples, zones, route = generate_exercise(
            rng,
            user,
            exercise_id,
            now,
            self.base_url,
            sport=sport,
            duration_s=duration_s,
            distance_m=float(distance) if distance is not None else None,
            not_before=last_end,
        )
        summary.update(fields)
        if sport is not None and sport not in SPORTS:
            summary["detailed_sport_info"] = fields.get("detailed_sport_info", sport)
        if not summary.get("has_route"):
            route = []
        exercise = Exercise(exercise_id, user_id, now, summary, samples, zones, route)
        self.state.exercises[exercise_id] = exercise
        end = workout_end(exercise.summary)
        ends = [value for value in (last_end, end) if value is not None]
        # The clock may have been set back: kept in upload order.
        insort(mine.exercises, exercise, key=_uploaded_at)
        mine.last_end = max(ends, default=None)
        self.mark_dirty()
        result = None
        if push:
            result = self.notify("EXERCISE", user_id, entity_id=exercise_id)
        return exercise, result

    def _workouts_of(self, user_id: int) -> _UserWorkouts:
        """Return a user's workouts in upload order and when the latest readable one ended.

        Kept per user, so recording many workouts stays linear.
        """
        state, index = self._workouts
        if state is not self.state:
            index = {}
            self._workouts = (self.state, index)
        if user_id not in index:
            mine = sorted(
                (e for e in self.state.exercises.values() if e.user_id == user_id),
                key=_uploaded_at,
            )
            ends = [end for e in mine if (end := workout_end(e.summary)) is not None]
            index[user_id] = _UserWorkouts(mine, max(ends, default=None))
        return index[user_id]

    def parse_day(self, value: object | None) -> date:
        """Parse a date argument (default: today, simulated)."""
        if value is None:
            return self.clock.now_dt().date()
        if not isinstance(value, str):
            raise ApiError(400, "date must be YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError as err:
            raise ApiError(400, "date must be YYYY-MM-DD") from err

    def record_day(
        self,
        kind: str,
        user_id: int,
        day: object | None = None,
        fields: dict[str, Any] | None = None,
        *,
        push: bool = True,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Record or replace sleep (and recharge), activity, continuous HR or physical info."""
        user = self.user(user_id)
        the_day = self.parse_day(day)
        iso = the_day.isoformat()
        rng = rng_for(self.config.seed, user_id, kind, iso)
        now = self.clock.now()
        fields = fields or {}
        if kind == "sleep":
            doc, recharge = generate_sleep(rng, user, the_day, self.base_url, fields)
            self._record_recharge(user_id, iso, now, recharge)
        elif kind == "activity":
            doc = generate_activity(rng, user, the_day) | fields
        elif kind == "chr":
            doc = generate_chr(rng, user, the_day, self.base_url) | fields
        elif kind == "physical":
            doc = generate_physical(rng, user, now) | fields
        else:
            raise ApiError(404, f"unknown data kind {kind}")
        self.state.days[kind][day_key(user_id, iso)] = DayRecord(user_id, iso, now, doc)
        self.mark_dirty()
        result = self.notify(DAY_EVENTS[kind], user_id, date=iso) if push else None
        return doc, result

    def _record_recharge(
        self, user_id: int, iso: str, now: float, recharge: dict[str, Any]
    ) -> None:
        """Store a night's recharge: served recharge_delay after the night was first recorded."""
        key = day_key(user_id, iso)
        previous = self.state.days["recharge"].get(key)
        available_at = now + self.state.settings.recharge_delay
        if previous is not None and previous.available_at is not None:
            available_at = min(available_at, previous.available_at)
        self.state.days["recharge"][key] = DayRecord(user_id, iso, now, recharge, available_at)

    def repeat_day(
        self, kind: str, user_id: int, day: object | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Push a recorded document's notice again, the data unchanged (a duplicate delivery)."""
        self.user(user_id)
        iso = self.parse_day(day).isoformat()
        record = self.state.days.get(kind, {}).get(day_key(user_id, iso))
        if record is None:
            raise ApiError(404, f"no {kind} recorded for user {user_id} on {iso}")
        return record.data, self.notify(DAY_EVENTS[kind], user_id, date=iso)

    def record_sleepwise(
        self, user_id: int, day: object | None = None, *, push: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        """Record a day's alertness and circadian bedtime; push both SleepWise notices."""
        user = self.user(user_id)
        if not user.sleepwise:
            raise ApiError(409, f"the device of user {user_id} does not support SleepWise")
        the_day = self.parse_day(day)
        iso = the_day.isoformat()
        night = self.state.days["sleep"].get(day_key(user_id, iso))
        slept = None
        if night is not None:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                slept = (
                    datetime.fromisoformat(night.data["sleep_start_time"]),
                    datetime.fromisoformat(night.data["sleep_end_time"]),
                )
        seed = self.config.seed
        alertness = generate_alertness(
            rng_for(seed, user_id, "alertness", iso), user, the_day, slept
        )
        bedtime = generate_bedtime(rng_for(seed, user_id, "bedtime", iso), user, the_day)
        now = self.clock.now()
        for kind, doc in (("alertness", alertness), ("bedtime", bedtime)):
            self.state.days[kind][day_key(user_id, iso)] = DayRecord(user_id, iso, now, doc)
        self.mark_dirty()
        notices = [
            self.notify(event, user_id, **{"from": iso, "to": iso})
            for event in ("SLEEP_WISE_ALERTNESS", "SLEEP_WISE_CIRCADIAN_BEDTIME")
            if push
        ]
        return alertness, bedtime, notices

    def record_biosensing(self, user_id: int, day: object | None = None) -> dict[str, Any]:
        """Record a day's SpO2 test, sleep skin temperature and body temperature (no webhook)."""
        user = self.user(user_id)
        if not user.biosensing:
            raise ApiError(409, f"the device of user {user_id} has no biosensing sensors")
        the_day = self.parse_day(day)
        iso = the_day.isoformat()
        seed, now = self.config.seed, self.clock.now()
        docs = {
            "spo2": generate_spo2(rng_for(seed, user_id, "spo2", iso), user, the_day),
            "skintemp": generate_skin_temperature(rng_for(seed, user_id, "skintemp", iso), the_day),
            "bodytemp": generate_body_temperature(
                rng_for(seed, user_id, "bodytemp", iso), user, the_day
            ),
        }
        for kind, doc in docs.items():
            self.state.days[kind][day_key(user_id, iso)] = DayRecord(user_id, iso, now, doc)
        self.mark_dirty()
        return docs

    def count_request(self, route: str, authorization: str | None) -> None:
        """Count a request per route, and per account when a known Bearer token made it."""
        self.requests[route] = self.requests.get(route, 0) + 1
        if not authorization or authorization[:7].lower() != "bearer ":
            return
        token = self.state.tokens.get(authorization[7:].strip())
        if token is not None:
            mine = self.requests_by_user.setdefault(token.user_id, {})
            mine[route] = mine.get(route, 0) + 1

    def notify(self, event: str, user_id: int, **extra: str | None) -> dict[str, Any]:
        """Build a notice for a user's event and queue it to every subscribed client."""
        payload = build_notice(
            event,
            user_id,
            self.base_url,
            self.clock.now(),
            entity_id=extra.get("entity_id"),
            date=extra.get("date"),
            from_date=extra.get("from"),
            to_date=extra.get("to"),
        )
        summary = self.pusher.dispatch(payload)
        summary["payload"] = payload
        return summary

    def visible_exercises(self, token: Token) -> list[Exercise]:
        """Return the user's exercises uploaded after registration, within 30 days, oldest first."""
        reg = self.data_access(token)
        since = max(reg.registered_at, self.clock.now() - DATA_DAYS * 86400)
        mine = self._workouts_of(token.user_id).exercises
        return mine[bisect_left(mine, since, key=_uploaded_at) :]

    def visible_days(self, token: Token, kind: str, days: int = 28) -> list[DayRecord]:
        """Return the user's dated records of a kind created after registration, by date."""
        reg = self.data_access(token)
        now = self.clock.now()
        oldest = (self.clock.now_dt().date() - timedelta(days=days)).isoformat()
        found = [
            r
            for r in self.state.days[kind].values()
            if r.user_id == token.user_id and r.date >= oldest and r.visible(reg.registered_at, now)
        ]
        return sorted(found, key=lambda r: r.date)

    def visible_day(self, token: Token, kind: str, iso: str) -> dict[str, Any] | None:
        """Return the user's document of a kind and date when the token may read it."""
        reg = self.data_access(token)
        record = self.state.days[kind].get(day_key(token.user_id, iso))
        if record is None or not record.visible(reg.registered_at, self.clock.now()):
            return None
        return record.data

    def visible_range(self, token: Token, kind: str, first: date, last: date) -> list[Any]:
        """Return the user's documents of a kind dated first..last, by date."""
        return [
            r.data
            for r in self.visible_days(token, kind, days=365)
            if first.isoformat() <= r.date <= last.isoformat()
        ]

    def daily_loads(self, token: Token) -> dict[str, float]:
        """Return training load per local date of the user's visible exercises."""
        reg = self.data_access(token)
        loads: dict[str, float] = {}
        for e in self._workouts_of(token.user_id).exercises:
            if e.uploaded_at < reg.registered_at:
                continue
            load = e.summary.get("training_load")
            day = str(e.summary.get("start_time", ""))[:10]
            if isinstance(load, int | float) and day:
                loads[day] = loads.get(day, 0.0) + float(load)
        return loads

    def summary(self) -> dict[str, Any]:
        """Return a compact JSON view of the world for the control API."""
        return {
            "url": self.base_url,
            "clock": self.clock.now_dt().isoformat(),
            "settings": asdict(self.state.settings),
            "clients": [self.client_json(c) for c in self.state.clients.values()],
            "users": [self.user_summary(u) for u in self.state.users.values()],
            "exercises": len(self.state.exercises),
            "pending_deliveries": self.pusher.pending,
        }

    def client_json(self, client: Client) -> dict[str, Any]:
        """Return a client for the control API (including its secret and webhook)."""
        out = asdict(client)
        webhook = self.state.webhooks.get(client.client_id)
        out["webhook"] = asdict(webhook) if webhook else None
        out["registered_users"] = sorted(
            r.user_id for r in self.state.registrations.values() if r.client_id == client.client_id
        )
        return out

    def user_summary(self, user: User) -> dict[str, Any]:
        """Return a user for the control API."""
        out = asdict(user)
        out["registered_to"] = sorted(
            r.client_id for r in self.state.registrations.values() if r.user_id == user.user_id
        )
        return out


DAY_EVENTS = {
    "sleep": "SLEEP",
    "activity": "ACTIVITY_SUMMARY",
    "chr": "CONTINUOUS_HEART_RATE",
    "physical": "PHYSICAL_INFORMATION",
}
MAX_RECHARGE_DELAY = 30 * 86400


def recharge_delay(value: object) -> float:
    """Return a valid recharge_delay (seconds) or raise 400."""
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 <= value <= MAX_RECHARGE_DELAY
    ):
        raise ApiError(400, f"recharge_delay must be seconds between 0 and {MAX_RECHARGE_DELAY}")
    return float(value)


FIRST_NAMES = ("Aino", "Eero", "Helmi", "Onni", "Siiri", "Väinö", "Lumi", "Toivo")
USER_FIELDS = (
    "user_id",
    "first_name",
    "last_name",
    "consents",
    "utc_offset_minutes",
    "birthdate",
    "gender",
    "weight",
    "height",
    "sleepwise",
    "biosensing",
)
_USER_TYPES: dict[str, tuple[type, ...]] = {
    "first_name": (str,),
    "last_name": (str,),
    "consents": (bool,),
    "utc_offset_minutes": (int,),
    "birthdate": (str,),
    "gender": (str,),
    "weight": (int, float),
    "height": (int, float),
    "sleepwise": (bool,),
    "biosensing": (bool,),
}


def _apply_user_fields(user: User, fields: dict[str, Any]) -> User:
    """Return a copy of a user with validated fields applied."""
    out = User(**asdict(user))
    for key, raw in fields.items():
        value: Any = raw
        types = _USER_TYPES.get(key)
        if types is None:
            raise ApiError(400, f"unknown user field {key!r}")
        if not _typed(value, types):
            raise ApiError(400, f"invalid value for {key!r}")
        if key == "gender" and value not in {"MALE", "FEMALE"}:
            raise ApiError(400, "gender must be MALE or FEMALE")
        if key == "birthdate":
            try:
                date.fromisoformat(value)
            except ValueError as err:
                raise ApiError(400, "birthdate must be YYYY-MM-DD") from err
        if key == "utc_offset_minutes" and not -840 <= value <= 840:
            raise ApiError(400, "utc_offset_minutes must be within -840..840")
        setattr(out, key, float(value) if key in {"weight", "height"} else value)
    return out


def _typed(value: object, types: tuple[type, ...]) -> bool:
    """Tell whether a JSON value has one of the types (bools are not numbers)."""
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _pick(raw: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """Return the known keys of a mapping (validating it is one)."""
    if not isinstance(raw, dict):
        raise ApiError(400, "expected a JSON object")
    unknown = set(raw) - set(keys)
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    return {k: raw[k] for k in keys if k in raw}


def parse_basic(header: str | None) -> tuple[str | None, str | None]:
    """Decode an HTTP Basic header into (user, password); (None, None) when malformed."""
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except binascii.Error, UnicodeDecodeError, ValueError:
        return None, None
    if ":" not in decoded:
        return None, None
    user, _, password = decoded.partition(":")
    return user, password


def utc_day(ts: float) -> str:
    """Return the UTC date of a timestamp."""
    return datetime.fromtimestamp(ts, UTC).date().isoformat()
