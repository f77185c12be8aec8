"""Polar-shaped error bodies: {timestamp, status, errorType, message, corrId}."""

from __future__ import annotations

from http import HTTPStatus
import uuid

from aiohttp import web

from .clock import iso_z

ERROR_TYPES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """Raised by handlers; turned into a Polar error response by a middleware."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        """Remember status, message and optional error type."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def error_body(status: int, message: str, error_type: str | None, now: float) -> dict[str, object]:
    """Return the error document Polar's OpenAPI describes."""
    return {
        "timestamp": iso_z(now, millis=True),
        "status": status,
        "errorType": error_type or ERROR_TYPES.get(status, HTTPStatus(status).phrase.upper()),
        "message": message,
        "corrId": str(uuid.uuid4()),
    }


def error_response(
    status: int, message: str, now: float, error_type: str | None = None
) -> web.Response:
    """Return a JSON error response."""
    return web.json_response(error_body(status, message, error_type, now), status=status)
