"""Fault injection: failing, throttled or hanging responses, and misbehaving deliveries."""

from __future__ import annotations

from dataclasses import asdict, dataclass
import itertools
from typing import Any, Literal

type ResponseFault = Literal["error", "rate_limit", "hang"]
type DeliveryFault = Literal["duplicate", "drop", "reorder", "delay"]
RESPONSE_KINDS: tuple[str, ...] = ("error", "rate_limit", "hang")
DELIVERY_KINDS: tuple[str, ...] = ("duplicate", "drop", "reorder", "delay")


@dataclass(slots=True)
class ResponseRule:
    """The next `remaining` requests whose path starts with `path` get this fault."""

    rule_id: int
    path: str
    kind: ResponseFault
    remaining: int
    method: str | None = None
    status: int = 500
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(slots=True)
class DeliveryRule:
    """The next `remaining` notices are duplicated, dropped, held for reordering or delayed."""

    rule_id: int
    kind: DeliveryFault
    remaining: int
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


class Faults:
    """The active fault rules."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._ids = itertools.count(1)
        self.responses: list[ResponseRule] = []
        self.deliveries: list[DeliveryRule] = []

    def add_response(
        self,
        path: str,
        kind: ResponseFault,
        count: int,
        *,
        method: str | None = None,
        status: int = 500,
        seconds: float = 0.0,
    ) -> ResponseRule:
        """Add a response fault rule."""
        rule = ResponseRule(next(self._ids), path, kind, count, method, status, seconds)
        self.responses.append(rule)
        return rule

    def add_delivery(self, kind: DeliveryFault, count: int, seconds: float = 0.0) -> DeliveryRule:
        """Add a delivery fault rule."""
        rule = DeliveryRule(next(self._ids), kind, count, seconds)
        self.deliveries.append(rule)
        return rule

    def take_response(self, method: str, path: str) -> ResponseRule | None:
        """Consume and return the first rule matching this request, if any."""
        for rule in self.responses:
            if rule.remaining > 0 and path.startswith(rule.path):
                if rule.method and rule.method.upper() != method.upper():
                    continue
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.responses.remove(rule)
                return rule
        return None

    def take_delivery(self) -> DeliveryRule | None:
        """Consume and return the first delivery rule, if any."""
        for rule in self.deliveries:
            if rule.remaining > 0:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.deliveries.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        """Remove every rule."""
        self.responses.clear()
        self.deliveries.clear()

    def to_json(self) -> dict[str, Any]:
        """Return the active rules."""
        return {
            "responses": [r.to_json() for r in self.responses],
            "deliveries": [r.to_json() for r in self.deliveries],
        }
