"""The simulator's world: clients, users, tokens, webhooks and recorded data, and its file form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
import json
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from pathlib import Path

STATE_VERSION = 1


@dataclass(slots=True)
class Client:
    """A partner application registered at admin.polaraccesslink.com."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    auto_approve: bool | None = None
    name: str = ""


@dataclass(slots=True)
class User:
    """A Polar Flow account."""

    user_id: int
    first_name: str = "Eka"
    last_name: str = "Toka"
    consents: bool = True
    utc_offset_minutes: int = 120
    birthdate: str = "1985-09-06"
    gender: str = "MALE"
    weight: float = 72.0
    height: float = 178.0
    sleepwise: bool = True  # the device computes SleepWise alertness and circadian bedtime
    biosensing: bool = False  # the device has Elixir sensors (SpO2, skin and body temperature)


@dataclass(slots=True)
class Registration:
    """A user registered to a client through POST /v3/users."""

    client_id: str
    user_id: int
    member_id: str
    registered_at: float


@dataclass(slots=True)
class Token:
    """An access token issued at the token endpoint (or minted through the control API)."""

    access_token: str
    client_id: str
    user_id: int
    issued_at: float
    expires_at: float
    code: str | None = None
    revoked: bool = False


@dataclass(slots=True)
class AuthCode:
    """An authorization code, kept after use so that reuse can be detected."""

    code: str
    client_id: str
    user_id: int
    redirect_uri: str | None
    scope: str
    issued_at: float
    expires_at: float
    used: bool = False


@dataclass(slots=True)
class Webhook:
    """The one webhook of a client."""

    webhook_id: str
    client_id: str
    url: str
    events: list[str]
    secret: str
    active: bool = True
    created_at: float = 0.0
    failing_since: float | None = None
    last_success_at: float | None = None


@dataclass(slots=True)
class Exercise:
    """One training session: its summary JSON and the optional samples, zones and route."""

    exercise_id: str
    user_id: int
    uploaded_at: float
    summary: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)
    zones: list[dict[str, Any]] = field(default_factory=list)
    route: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class DayRecord:
    """One dated document of a kind (sleep, activity, SleepWise, biosensing…)."""

    user_id: int
    date: str
    created_at: float
    data: dict[str, Any]
    available_at: float | None = None  # served from then on (a late Nightly Recharge)

    def visible(self, registered_at: float, now: float) -> bool:
        """Tell whether a registration made at registered_at can read it now."""
        return self.created_at >= registered_at and (
            self.available_at is None or self.available_at <= now
        )


@dataclass(slots=True)
class Settings:
    """Switches changed at run time through the control API."""

    auto_approve: bool = False
    current_user: int | None = None
    recharge_delay: float = 0.0


DAY_KINDS = (
    "sleep",
    "recharge",
    "activity",
    "chr",
    "physical",
    "alertness",
    "bedtime",
    "spo2",
    "skintemp",
    "bodytemp",
)


@dataclass(slots=True)
class SimState:
    """Everything that survives a restart when a state file is used."""

    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    days: dict[str, dict[str, DayRecord]] = field(
        default_factory=lambda: {kind: {} for kind in DAY_KINDS}
    )
    settings: Settings = field(default_factory=Settings)
    counter: int = 0
    clock_offset: float = 0.0

    def next_number(self) -> int:
        """Return a fresh serial number (ids of users, webhooks, exercises)."""
        self.counter += 1
        return self.counter

    def registration(self, client_id: str, user_id: int) -> Registration | None:
        """Return the registration of a user to a client, if any."""
        return self.registrations.get(reg_key(client_id, user_id))

    def registered_count(self, client_id: str) -> int:
        """Return how many users are registered to a client."""
        return sum(1 for reg in self.registrations.values() if reg.client_id == client_id)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "version": STATE_VERSION,
            "clients": [asdict(c) for c in self.clients.values()],
            "users": [asdict(u) for u in self.users.values()],
            "registrations": [asdict(r) for r in self.registrations.values()],
            "tokens": [asdict(t) for t in self.tokens.values()],
            "codes": [asdict(c) for c in self.codes.values()],
            "webhooks": [asdict(w) for w in self.webhooks.values()],
            "exercises": [asdict(e) for e in self.exercises.values()],
            "days": {kind: [asdict(r) for r in recs.values()] for kind, recs in self.days.items()},
            "settings": asdict(self.settings),
            "counter": self.counter,
            "clock_offset": self.clock_offset,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Rebuild a state from to_json() output."""
        state = cls()
        for c in _build_all(Client, data.get("clients", [])):
            state.clients[c.client_id] = c
        for u in _build_all(User, data.get("users", [])):
            state.users[u.user_id] = u
        for r in _build_all(Registration, data.get("registrations", [])):
            state.registrations[reg_key(r.client_id, r.user_id)] = r
        for t in _build_all(Token, data.get("tokens", [])):
            state.tokens[t.access_token] = t
        for a in _build_all(AuthCode, data.get("codes", [])):
            state.codes[a.code] = a
        for w in _build_all(Webhook, data.get("webhooks", [])):
            state.webhooks[w.client_id] = w
        for e in _build_all(Exercise, data.get("exercises", [])):
            state.exercises[e.exercise_id] = e
        days = data.get("days", {})
        for kind in DAY_KINDS:
            for rec in _build_all(DayRecord, days.get(kind, [])):
                state.days[kind][day_key(rec.user_id, rec.date)] = rec
        state.settings = _build(Settings, data.get("settings", {}))
        state.counter = int(data.get("counter", 0))
        state.clock_offset = float(data.get("clock_offset", 0.0))
        return state


def reg_key(client_id: str, user_id: int) -> str:
    """Return the registrations key."""
    return f"{client_id}\n{user_id}"


def day_key(user_id: int, date: str) -> str:
    """Return the key of a dated record."""
    return f"{user_id}:{date}"


def _build[T](cls: type[T], raw: dict[str, Any]) -> T:
    """Construct a dataclass from a dict, ignoring unknown keys."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in raw.items() if k in names})


def _build_all[T](cls: type[T], raws: list[dict[str, Any]]) -> list[T]:
    """Construct many dataclasses."""
    return [_build(cls, raw) for raw in raws]


def save_state(state: SimState, path: Path) -> None:
    """Write the state atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state.to_json(), separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


def load_state(path: Path) -> SimState | None:
    """Read a state file; None when it does not exist."""
    if not path.exists():
        return None
    return SimState.from_json(json.loads(path.read_text(encoding="utf-8")))
