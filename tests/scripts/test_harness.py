"""SimControl (scripts/harness.py) drives nights against a real simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from accesslink_sim.app import SimServer
from accesslink_sim.config import SimConfig
from scripts.harness import RequestFailedError, SimControl

DAY = "2026-05-01"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: no Home Assistant here."""


@pytest.fixture
async def control(socket_enabled: None) -> AsyncIterator[SimControl]:
    """Return a SimControl bound to a fresh simulator whose clock is the morning after DAY."""
    async with (
        SimServer(SimConfig(port=0, seed=3, access_log=False)) as server,
        aiohttp.ClientSession() as session,
    ):
        sim = SimControl(session, server.url)
        await sim.call("POST", "/clock", {"set": f"{DAY}T07:00:00+00:00"})
        yield sim


async def _registered_token(sim: SimControl) -> tuple[int, str]:
    """Create a client and a registered user; return the user id and its access token."""
    client = await sim.ensure_client("c", "s", ["http://127.0.0.1:1/cb"], "C")
    user = await sim.ensure_user(10_000_001, "Aino", "Polar")
    reg = await sim.call(
        "POST", f"/users/{user['user_id']}/register", {"client_id": client["client_id"]}
    )
    return user["user_id"], reg["access_token"]


async def _api(sim: SimControl, token: str, path: str) -> Any:
    """GET an AccessLink path with a user's token; None when it answers 404."""
    headers = {"Authorization": f"Bearer {token}"}
    async with sim.session.get(sim.url + path, headers=headers) as resp:
        return None if resp.status == 404 else await resp.json()


async def test_night_change_repeat_and_recharge_delay(control: SimControl) -> None:
    user_id, token = await _registered_token(control)
    settings = await control.set_recharge_delay(900)
    assert settings["recharge_delay"] == 900

    made = await control.night(user_id, DAY)
    assert made["data"]["date"] == DAY
    assert made["notice"]["payload"]["event"] == "SLEEP"
    assert await _api(control, token, f"/v3/users/nightly-recharge/{DAY}") is None

    changed = await control.night(user_id, DAY, fields={"sleep_score": 50}, push=False)
    assert changed["data"]["sleep_score"] == 50
    assert changed["notice"] is None
    repeated = await control.repeat_night(user_id, DAY)
    assert repeated["data"] == changed["data"]
    assert repeated["notice"]["payload"]["date"] == DAY
    assert (await _api(control, token, f"/v3/users/sleep/{DAY}"))["sleep_score"] == 50

    await control.call("POST", "/clock", {"advance": 900})
    assert (await _api(control, token, f"/v3/users/nightly-recharge/{DAY}"))["date"] == DAY
    with pytest.raises(RequestFailedError) as err:
        await control.repeat_night(user_id, "2026-04-01")
    assert err.value.status == 404


async def test_simulated_day_device_flags_and_request_counts(control: SimControl) -> None:
    user_id, token = await _registered_token(control)
    await control.reset_request_counts()
    day = await control.simulated_day(user_id, DAY, weight=70.0)
    events = [notice["payload"]["event"] for notice in day["notices"]]
    assert events.count("ACTIVITY_SUMMARY") == 3
    assert {"EXERCISE", "SLEEP", "SLEEP_WISE_ALERTNESS", "PHYSICAL_INFORMATION"} <= set(events)
    assert (await _api(control, token, "/v3/users/physical-info"))["weight"] == 70.0

    user = await control.set_device(user_id, sleepwise=False, biosensing=True)
    assert (user["sleepwise"], user["biosensing"]) == (False, True)
    with pytest.raises(RequestFailedError):
        await control.sleepwise(user_id, DAY)
    made = await control.biosensing(user_id, DAY)
    assert await _api(control, token, "/v3/users/biosensing/spo2") == made["spo2"]
    await control.set_device(user_id, sleepwise=True)
    assert len((await control.sleepwise(user_id, DAY))["notices"]) == 2

    counts = await control.account_request_counts(user_id)
    assert counts == {"GET /v3/users/physical-info": 1, "GET /v3/users/biosensing/spo2": 1}
