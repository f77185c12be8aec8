"""Settings of one simulator instance and the start-up file (clients and users to create)."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)
TOKEN_EXPIRES_IN = 31535999
CODE_LIFETIME = 600.0
WEEK = 7 * 24 * 3600.0


@dataclass(slots=True)
class RateLimitConfig:
    """The two request windows per client: base + per_user * registered users."""

    short_window: float = 900.0
    short_base: int = 500
    short_per_user: int = 20
    long_window: float = 86400.0
    long_base: int = 5000
    long_per_user: int = 100


@dataclass(slots=True)
class SimConfig:
    """Everything that shapes one simulator instance."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    public_url: str | None = None
    allow_remote_webhooks: bool = False
    auto_approve: bool = False
    token_expires_in: int = TOKEN_EXPIRES_IN
    code_lifetime: float = CODE_LIFETIME
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    push_timeout: float = 10.0
    ping_timeout: float = 10.0
    deactivate_after: float = WEEK
    push_concurrency: int = 64
    delivery_log_size: int = 20000
    recharge_delay: float = 0.0
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    state_file: Path | None = None
    initial: dict[str, Any] = field(default_factory=dict)
    access_log: bool = True


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON start-up file: {"clients": [...], "users": [...], "settings": {...}}."""
    text = path.read_text(encoding="utf-8")
    data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TypeError(f"{path}: the top level must be a mapping")
    for key in ("clients", "users"):
        if not isinstance(data.get(key, []), list):
            raise TypeError(f"{path}: {key!r} must be a list")
    if not isinstance(data.get("settings", {}), dict):
        raise TypeError(f"{path}: 'settings' must be a mapping")
    return data
