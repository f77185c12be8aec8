"""Reading one webhook request: size bound, PING, signature and schema."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
import json
from typing import Any

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
import voluptuous as vol

from .accesslink import EventType, Notice, verify_signature
from .const import MAX_WEBHOOK_BODY

SIGNATURE_HEADER = "Polar-Webhook-Signature"


def _user_id(value: Any) -> int:
    """Accept a Polar user id as an integer or a string of digits."""
    if isinstance(value, bool):
        raise vol.Invalid("user_id is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise vol.Invalid("user_id is not a number")


def _exercise_needs_entity_id(data: dict[str, Any]) -> dict[str, Any]:
    """Require entity_id on EXERCISE notices."""
    if data["event"] == EventType.EXERCISE and not data.get("entity_id"):
        raise vol.Invalid("EXERCISE notice without entity_id")
    return data


NOTICE_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required("event"): vol.All(str, vol.Length(min=1, max=64)),
            vol.Required("user_id"): vol.All(_user_id, vol.Range(min=0)),
            vol.Required("timestamp"): vol.All(str, vol.Length(max=64)),
            vol.Optional("url"): vol.All(str, vol.Length(max=2048)),
            vol.Optional("entity_id"): vol.All(str, vol.Length(min=1, max=256)),
            vol.Optional("date"): vol.All(str, vol.Length(max=32)),
            vol.Optional("from"): vol.All(str, vol.Length(max=64)),
            vol.Optional("to"): vol.All(str, vol.Length(max=64)),
        },
        extra=vol.ALLOW_EXTRA,
    ),
    _exercise_needs_entity_id,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request answered without doing any work."""

    status: HTTPStatus
    reason: str

    def response(self) -> web.Response:
        """Return the HTTP answer."""
        return web.Response(status=self.status, text=self.reason)


PING = Rejection(HTTPStatus.OK, "pong")
TOO_LARGE = Rejection(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
BAD_SIGNATURE = Rejection(HTTPStatus.UNAUTHORIZED, "missing or invalid signature")


async def read_body(request: web.Request) -> bytes | None:
    """Read the raw body, or None when it is larger than allowed."""
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
        return None
    body = bytearray()
    try:
        while chunk := await request.content.read(MAX_WEBHOOK_BODY + 1 - len(body)):
            body += chunk
            if len(body) > MAX_WEBHOOK_BODY:
                return None
    except ClientPayloadError, RequestPayloadError, HttpProcessingError, ConnectionError:
        # A body that breaks off or does not decode per its Content-Encoding: nothing to read.
        return b""
    return bytes(body)


def _is_ping(payload: Any) -> bool:
    """Return whether a decoded payload is Polar's PING."""
    return isinstance(payload, dict) and payload.get("event") == EventType.PING


def _decode(body: bytes) -> Any:
    """Decode JSON, or return None when the body is not JSON."""
    try:
        return json.loads(body)
    except ValueError, RecursionError:
        return None


def parse_request(body: bytes, signature: str | None, secret: str | None) -> Notice | Rejection:
    """Turn a raw request into a notice, or say why it gets no further."""
    payload = _decode(body)
    if _is_ping(payload):
        return PING
    if not secret or not verify_signature(secret, body, signature):
        return BAD_SIGNATURE
    if payload is None:
        return Rejection(HTTPStatus.BAD_REQUEST, "body is not JSON")
    try:
        data = NOTICE_SCHEMA(payload)
    except vol.Invalid as err:
        return Rejection(HTTPStatus.BAD_REQUEST, f"invalid notice: {err.msg}")
    try:
        return Notice.from_dict(data)
    except ValueError as err:
        return Rejection(HTTPStatus.BAD_REQUEST, f"invalid notice: {err}")
