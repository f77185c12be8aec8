"""The webhook deactivated or deleted at Polar: the 6 h health check restores push, no loss."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import CLIENT_ID, Polar, errors_in_log


async def _tick(polar: Polar, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(polar.hass)
    await polar.settle()


async def _break_push(polar: Polar, freezer: FrozenDateTimeFactory, how: str) -> set[str]:
    """Publish one exercise at +1 h (the reconcile timer moves to +7 h), then break push."""
    await _tick(polar, freezer, timedelta(hours=1))
    first = await polar.workout()
    await polar.settle()
    assert polar.published == [first]
    if how == "deactivate":
        await polar.ctl("POST", f"/clients/{CLIENT_ID}/webhook/deactivate")
    else:
        await polar.ctl("DELETE", f"/clients/{CLIENT_ID}/webhook")
    missed = {await polar.workout() for _ in range(2)}
    await polar.settle()
    assert polar.published == [first]  # Polar did not push them
    return {first} | missed


@pytest.mark.parametrize("how", ["deactivate", "delete"])
@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(30)
async def test_health_check_restores_push(
    freezer: FrozenDateTimeFactory,
    polar: Polar,
    alice: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    """At +6 h the webhook is active again (same or new secret), new workouts push, none lost."""
    old = await polar.webhook()
    expected = await _break_push(polar, freezer, how)

    await _tick(polar, freezer, timedelta(hours=5, seconds=1))  # the health check runs at +6 h
    hook = await polar.webhook()
    assert hook["active"] is True
    assert hook["url"] == old["url"]
    if how == "delete":
        assert hook["secret"] != old["secret"]
    pushed = await polar.workout()  # signed with the (possibly new) secret, accepted
    await polar.settle()
    assert pushed in polar.published

    # By the next reconcile at the latest, everything is published exactly once.
    await _tick(polar, freezer, timedelta(hours=6, seconds=1))
    polar.assert_exactly_once(expected | {pushed})
    pings = (await polar.ctl("GET", "/deliveries?kind=ping"))["deliveries"]
    assert all(p["ok"] for p in pings)
    assert errors_in_log(caplog) == []


@pytest.mark.parametrize("how", ["deactivate", "delete"])
@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(30)
async def test_health_check_catches_up_when_push_is_restored(
    freezer: FrozenDateTimeFactory, polar: Polar, alice: MockConfigEntry, how: str
) -> None:
    """Restoring push is 'push coming back': what was missed meanwhile is caught up at once."""
    expected = await _break_push(polar, freezer, how)
    await _tick(polar, freezer, timedelta(hours=5, seconds=1))
    assert (await polar.webhook())["active"] is True
    polar.assert_exactly_once(expected)
