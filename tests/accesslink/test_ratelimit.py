"""Rate-limit header parsing and the wait after a 429."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from custom_components.polar_flow.accesslink import RateLimit
from custom_components.polar_flow.accesslink.ratelimit import retry_after_seconds


def test_rate_limit_from_headers() -> None:
    headers = {
        "RateLimit-Usage": "12, 340",
        "ratelimit-limit": "520,5100",
        "RATELIMIT-RESET": " 600 , 80000",
    }
    rate_limit = RateLimit.from_headers(headers)
    assert rate_limit == RateLimit(12, 340, 520, 5100, 600, 80000)
    assert rate_limit is not None
    assert rate_limit.exhausted is False


@pytest.mark.parametrize(
    ("usage", "limit", "exhausted"),
    [("520, 10", "520, 5100", True), ("1, 5100", "520, 5100", True), ("0, 0", "1, 1", False)],
)
def test_rate_limit_exhausted(usage: str, limit: str, exhausted: bool) -> None:
    headers = {"RateLimit-Usage": usage, "RateLimit-Limit": limit, "RateLimit-Reset": "1, 2"}
    rate_limit = RateLimit.from_headers(headers)
    assert rate_limit is not None
    assert rate_limit.exhausted is exhausted


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"RateLimit-Usage": "1, 2", "RateLimit-Limit": "3, 4"},
        {"RateLimit-Usage": "1", "RateLimit-Limit": "3", "RateLimit-Reset": "5"},
        {"RateLimit-Usage": "1, x", "RateLimit-Limit": "3, 4", "RateLimit-Reset": "5, 6"},
        {"RateLimit-Usage": "1, -2", "RateLimit-Limit": "3, 4", "RateLimit-Reset": "5, 6"},
        {"RateLimit-Usage": "1,2,3", "RateLimit-Limit": "3,4,5", "RateLimit-Reset": "5,6,7"},
    ],
    ids=["none", "no-reset", "single-values", "non-numeric", "negative", "three-windows"],
)
def test_rate_limit_from_incomplete_headers(headers: dict[str, str]) -> None:
    assert RateLimit.from_headers(headers) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "RateLimit-Usage": "520, 600",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "120, 9000",
            },
            120.0,
        ),
        (
            {
                "RateLimit-Usage": "10, 5100",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "120, 9000",
            },
            9000.0,
        ),
        (
            {
                "RateLimit-Usage": "520, 5100",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "120, 9000",
            },
            9000.0,
        ),
        (
            {
                "RateLimit-Usage": "1, 1",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "120, 9000",
            },
            9000.0,
        ),
        ({"RateLimit-Reset": "120, 30"}, 120.0),
        ({"RateLimit-Reset": "45"}, 45.0),
        ({"RateLimit-Reset": "soon", "Retry-After": "17"}, 17.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "-4"}, 0.0),
        ({"Retry-After": "nan"}, 60.0),
        ({"Retry-After": "whenever"}, 60.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({}, 60.0),
    ],
    ids=[
        "short-exhausted",
        "long-exhausted",
        "both-exhausted",
        "none-exhausted-max",
        "reset-only-max",
        "reset-single",
        "bad-reset-retry-after",
        "retry-after-seconds",
        "retry-after-negative",
        "retry-after-nan",
        "retry-after-junk",
        "retry-after-past-date",
        "nothing",
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float) -> None:
    assert retry_after_seconds(headers) == expected


@pytest.mark.parametrize("zone", ["GMT", "-0000"], ids=["aware", "naive"])
def test_retry_after_http_date(zone: str) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    text = email.utils.format_datetime(when, usegmt=True).replace("GMT", zone)
    assert 100 < retry_after_seconds({"Retry-After": text}) <= 120
