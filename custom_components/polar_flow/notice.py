"""Reading one webhook request: size and time bounds, PING, signature and schema."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
import json
from typing import Any, Final

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from homeassistant.util.aiohttp import MockRequest

from .accesslink import EventType, InvalidDataError, Notice, verify_signature
from .const import MAX_WEBHOOK_BODY

SIGNATURE_HEADER = "Polar-Webhook-Signature"
# Polar gives up on a delivery after 10 seconds.
BODY_READ_TIMEOUT: Final = 8.0


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
TOO_SLOW = Rejection(HTTPStatus.REQUEST_TIMEOUT, "body not received in time")
BAD_SIGNATURE = Rejection(HTTPStatus.UNAUTHORIZED, "missing or invalid signature")


def _ignored(reason: str) -> Rejection:
    """Acknowledge a signed notice that cannot be used: Polar counts any 4xx as a failure."""
    return Rejection(HTTPStatus.OK, f"ignored: {reason}")


async def read_body(request: web.Request | MockRequest) -> bytes | Rejection:
    """Read the raw body within the size and time bounds, or say why not.

    Home Assistant Cloud relays a cloudhook delivery as a MockRequest: it has no content_length,
    and each access to its content starts a new reader.
    """
    length = None if isinstance(request, MockRequest) else request.content_length
    if length is not None and length > MAX_WEBHOOK_BODY:
        return TOO_LARGE
    stream = request.content
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT):
            while chunk := await stream.read(MAX_WEBHOOK_BODY + 1 - len(body)):
                body += chunk
                if len(body) > MAX_WEBHOOK_BODY:
                    return TOO_LARGE
    except TimeoutError:
        return TOO_SLOW
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
    # Signed by Polar: from here on the answer is 200, whatever can or cannot be used.
    if not isinstance(payload, dict):
        return _ignored("the body is not a JSON object")
    try:
        return Notice.from_dict(payload)
    except InvalidDataError as err:
        return _ignored(str(err))
