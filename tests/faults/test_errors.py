"""5xx and hanging AccessLink responses: bounded exponential backoff with jitter, then success."""

from __future__ import annotations

import asyncio
import functools
import itertools
import statistics

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.polar_flow as integration
from custom_components.polar_flow import fetcher as fetcher_module
from custom_components.polar_flow.accesslink import AccessLinkClient

from .conftest import ALICE, Polar, errors_in_log

BACKOFF = 0.04  # seconds; the integration's BACKOFF_INITIAL is 2 s, shrunk to keep tests fast


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the backoff constants; the shape (exponential, jitter, bound) stays the same."""
    monkeypatch.setattr(fetcher_module, "BACKOFF_INITIAL", BACKOFF)
    monkeypatch.setattr(fetcher_module, "BACKOFF_MAX", 0.5)


def _gaps(polar: Polar, exercise_id: str) -> list[float]:
    """Return the seconds between consecutive fetches of one exercise."""
    times = [h.at for h in polar.api_hits(f"/v3/exercises/{exercise_id}")]
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.timeout(30)
async def test_5xx_backoff_then_success(
    fast_backoff: None,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    """Two failures per notice: retried after ~B and ~2B (each x0.5-1.5 jitter), then published."""
    made: list[str] = []
    for _ in range(6):
        await polar.ctl("POST", "/faults", {"path": "/v3/exercises/", "kind": "error",
                                            "status": status, "count": 2})  # fmt: skip
        made.append(await polar.workout())
        await polar.settle()
    polar.assert_exactly_once(set(made))
    first_gaps: list[float] = []
    for exercise_id in made:
        statuses = [h.status for h in polar.api_hits(f"/v3/exercises/{exercise_id}")]
        assert statuses == [status, status, 200]
        gap1, gap2 = _gaps(polar, exercise_id)
        assert 0.5 * BACKOFF <= gap1 <= 1.5 * BACKOFF + 0.05
        assert 0.5 * 2 * BACKOFF <= gap2 <= 1.5 * 2 * BACKOFF + 0.05
        first_gaps.append(gap1)
    assert statistics.pstdev(first_gaps) > 0.002, f"no jitter: {first_gaps}"
    assert errors_in_log(caplog) == []


@pytest.mark.timeout(30)
async def test_5xx_beyond_attempts_left_to_catch_up(
    fast_backoff: None, polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """FETCH_ATTEMPTS failures: the fetch gives up (bounded), the catch-up lists it later."""
    attempts = fetcher_module.FETCH_ATTEMPTS
    await polar.ctl("POST", "/faults", {"path": "/v3/exercises/", "kind": "error",
                                        "status": 500, "count": attempts})  # fmt: skip
    exercise_id = await polar.workout()
    await polar.settle()
    assert [h.status for h in polar.api_hits(f"/v3/exercises/{exercise_id}")] == [500] * attempts
    gaps = _gaps(polar, exercise_id)
    for n, gap in enumerate(gaps):
        assert gap <= 1.5 * min(0.5, BACKOFF * 2**n) + 0.05
    assert polar.published == []
    # The catch-up (after BACKOFF_MAX) lists the exercises once and publishes it.
    for _ in range(40):
        if polar.published:
            break
        await polar.settle(1)
        await asyncio.sleep(0.05)
    polar.assert_exactly_once({exercise_id})
    assert len(polar.api_hits("/v3/exercises", "GET")) - attempts == 2  # setup + catch-up
    assert errors_in_log(caplog) == []


@pytest.mark.timeout(30)
async def test_short_hang_is_waited_out(
    polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """A response delayed 0.5 s (well under the 30 s request timeout) is simply waited for."""
    await polar.ctl("POST", "/faults", {"path": "/v3/exercises/", "kind": "hang",
                                        "seconds": 0.5, "count": 3})  # fmt: skip
    made = {await polar.workout() for _ in range(3)}
    await polar.settle()
    polar.assert_exactly_once(made)
    assert len(polar.api_hits("/v3/exercises/")) == 3
    assert errors_in_log(caplog) == []


@pytest.mark.timeout(30)
async def test_hang_beyond_timeout_backs_off(
    fast_backoff: None,
    monkeypatch: pytest.MonkeyPatch,
    polar: Polar,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hangs longer than the request timeout: timed out, backed off, retried, published.

    The integration builds its AccessLinkClient with the default request_timeout of 30 s and
    exposes no setting for it, so the test constructs the client with 0.3 s instead.
    """
    monkeypatch.setattr(
        integration, "AccessLinkClient", functools.partial(AccessLinkClient, request_timeout=0.3)
    )
    await polar.add_account(ALICE)
    await polar.ctl("POST", "/faults", {"path": "/v3/exercises/", "kind": "hang",
                                        "seconds": 1.0, "count": 2})  # fmt: skip
    exercise_id = await polar.workout()
    await polar.settle()
    polar.assert_exactly_once({exercise_id})
    timeouts = [r for r in caplog.records if "no answer within 0.3 s" in r.getMessage()]
    assert len(timeouts) == 2  # two timed out (the simulator answers them 1 s late, unread)
    assert [h.status for h in polar.api_hits(f"/v3/exercises/{exercise_id}")] == [200]
    assert errors_in_log(caplog) == []
