"""Defensive converters from loosely typed JSON values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import datetime as dt
import math
import re
from typing import Any


class InvalidDataError(ValueError):
    """JSON data that a model cannot be built from."""


_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?",
    re.ASCII | re.IGNORECASE,
)


def parse_duration(text: str) -> dt.timedelta:
    """Parse an ISO-8601 duration such as PT1H2M3.5S or P1DT2H (no years or months)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    parts = {
        name: float(value.replace(",", "."))
        for name, value in match.groupdict().items()
        if value is not None
    }
    try:
        return dt.timedelta(**parts)
    except OverflowError as err:
        raise ValueError(f"duration out of range: {text!r}") from err


def opt_str(value: Any) -> str | None:
    """Return the value if it is a string, else None."""
    return value if isinstance(value, str) else None


def opt_id(value: Any) -> str | None:
    """Return a non-empty identifier as a string, accepting integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def opt_int(value: Any) -> int | None:
    """Return an integer, accepting integral floats, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def opt_loose_int(value: Any) -> int | None:
    """Return an integer, also accepting a string of ASCII digits."""
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 20 else None
    return opt_int(value)


def opt_float(value: Any) -> float | None:
    """Return a finite number as a float, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def opt_bool(value: Any) -> bool | None:
    """Return the value if it is a boolean, else None."""
    return value if isinstance(value, bool) else None


def opt_datetime(value: Any) -> dt.datetime | None:
    """Parse an ISO-8601 timestamp into an aware datetime; naive means UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def opt_date(value: Any) -> dt.date | None:
    """Parse an ISO-8601 calendar date."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def opt_duration(value: Any) -> dt.timedelta | None:
    """Parse an ISO-8601 duration, else None."""
    if not isinstance(value, str):
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


def opt_mapping(value: Any) -> Mapping[str, Any] | None:
    """Return the value if it is a JSON object, else None."""
    return value if isinstance(value, Mapping) else None


def mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    """Yield the JSON objects of a JSON array, skipping anything else."""
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))


def strings(value: Any) -> tuple[str, ...]:
    """Return the strings of a JSON array as a tuple."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def require_mapping(data: Any, what: str) -> Mapping[str, Any]:
    """Return data if it is a JSON object, else raise InvalidDataError."""
    if not isinstance(data, Mapping):
        raise InvalidDataError(f"{what} must be a JSON object, not {type(data).__name__}")
    return data


def first(data: Mapping[str, Any], *keys: str) -> Any:
    """Return the first value under keys that is not None."""
    return next((data[key] for key in keys if data.get(key) is not None), None)
