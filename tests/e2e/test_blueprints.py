"""The blueprints in a real hass: made into automations as the UI does, fired by the simulator.

The blueprint folder is copied into the config directory, where importing puts them (importing
itself needs GitHub). Each automation is saved through the automation editor's REST API, then
Bob's workout, Alice's workouts, night and activity syncs are recorded at the simulator: the
actions run for Alice's long enough run, her night and the sync that reaches the step goal,
and for nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
import shutil
from typing import Any

import pytest

from scripts.harness import (
    EVENT_EXERCISE,
    HomeAssistantApi,
    SimControl,
    next_event,
    wait_until,
)

from .conftest import ALICE, BOB, CLIENT_ID, Stack, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "polar_flow"
RAN = "polar_flow_e2e_blueprint_ran"
EVENT_ACTIVITY = "polar_flow_activity"
EVENT_NIGHTLY_RECHARGE = "polar_flow_nightly_recharge"
STEP_GOAL = 10000
# Polar's Nightly Recharge status scale, 1 to 6.
STATUSES = ("very_poor", "poor", "compromised", "ok", "good", "very_good")


@pytest.fixture(scope="module")
def configure_hass() -> Callable[[Path], None]:
    """Put the blueprints in the config dir and let the automation editor write automations."""

    def configure(config_dir: Path) -> None:
        shutil.copytree(BLUEPRINTS, config_dir / "blueprints" / "automation" / "polar_flow")
        with (config_dir / "configuration.yaml").open("a") as configuration:
            configuration.write("automation: !include automations.yaml\n")
        (config_dir / "automations.yaml").write_text("[]\n")

    return configure


async def save_automation(
    api: HomeAssistantApi, name: str, inputs: dict[str, Any], data: dict[str, str]
) -> None:
    """Save an automation using a blueprint, as the editor does; its action fires RAN."""
    action = {"event": RAN, "event_data": {"automation": name, **data}}
    config = {
        "alias": f"Blueprint {name}",
        "description": "",
        "use_blueprint": {
            "path": f"polar_flow/{name}.yaml",
            "input": {**inputs, "actions": [action]},
        },
    }
    assert await api.post(f"/api/config/automation/config/{name}", config) == {"result": "ok"}


async def test_blueprints_fire_for_the_simulators_workout_night_and_steps(
    stack: Stack, api: HomeAssistantApi, sim: SimControl
) -> None:
    """Each blueprint loads; the actions run for what passes its filters, once, and only then."""
    alice = await signed_in(stack, api, ALICE)
    await signed_in(stack, api, BOB)
    await wait_until(lambda: _webhook_ready(sim), "the webhook at the simulator", 20)
    today = datetime.now(UTC).date().isoformat()
    assert (await sim.today()).isoformat() == today, "the simulator's clock is not today"

    account = {"account": alice.device_id}
    await save_automation(
        api,
        "after_workout",
        {**account, "sports": ["running"], "minimum_duration": 30},
        {"sport": "{{ sport }}", "minutes": "{{ duration_min }}", "km": "{{ distance_km }}"},
    )
    await save_automation(
        api,
        "morning_readiness",
        {**account, "level": "very_good"},
        {"status": "{{ status }}", "date": "{{ date }}"},
    )
    await save_automation(
        api,
        "step_goal",
        {**account, "goal": STEP_GOAL},
        {"steps": "{{ steps }}", "date": "{{ date }}"},
    )
    await save_automation(
        api,
        "bedtime",
        {"sleep_window_start": "sensor.alice_runner_recommended_sleep_start"},
        {"bedtime": "{{ sleep_window_start }}"},
    )
    # The editor's save reloads the automation without waiting for it.
    for name in ("after_workout", "morning_readiness", "step_goal", "bedtime"):
        state = await wait_until(
            lambda name=name: api.state(f"automation.blueprint_{name}"), f"automation {name}", 10
        )
        assert state["state"] == "on", state

    async with await api.websocket() as ws:
        ran = await ws.subscribe_events(RAN)
        exercises = await ws.subscribe_events(EVENT_EXERCISE)
        recharges = await ws.subscribe_events(EVENT_NIGHTLY_RECHARGE)
        activities = await ws.subscribe_events(EVENT_ACTIVITY)

        # Bob's run, Alice's ride and short run: published, and no actions.
        for user, sport, minutes in ((BOB, "RUNNING", 50), (ALICE, "CYCLING", 60),
                                     (ALICE, "RUNNING", 20)):  # fmt: skip
            await sim.workout(user, sport=sport, duration=minutes * 60, distance=5000)
            event = await next_event(exercises, 20, f"the {sport} of {user}")
            assert (event["data"]["user_id"], event["data"]["sport"]) == (user, sport)
        # Alice's long run: the actions get its sport, minutes and kilometres.
        await sim.workout(ALICE, sport="RUNNING", duration=2730, distance=10260)
        await next_event(exercises, 20, "Alice's long run")
        assert (await next_event(ran, 10, "the after-workout actions"))["data"] == {
            "automation": "after_workout",
            "sport": "running",
            "minutes": 46,
            "km": 10.3,
        }

        # Last night: every measured status runs the actions at level "very good".
        night = await sim.night(ALICE, today)
        recharge = await next_event(recharges, 20, "Alice's Nightly Recharge")
        assert recharge["data"]["date"] == today
        status = await _recharge_status(sim, today)
        assert (await next_event(ran, 10, "the morning readiness actions"))["data"] == {
            "automation": "morning_readiness",
            "status": status,
            "date": today,
        }, night["data"]

        # Today's syncs: below the goal, reaching it, beyond it; the actions run once.
        for steps in (STEP_GOAL - 3000, STEP_GOAL + 250, STEP_GOAL + 2000):
            await sim.call(
                "POST", f"/users/{ALICE}/activity", {"date": today, "fields": {"steps": steps}}
            )
            event = await next_event(activities, 20, f"the sync of {steps} steps")
            assert event["data"]["steps"] == steps
        assert (await next_event(ran, 10, "the step goal actions"))["data"] == {
            "automation": "step_goal",
            "steps": STEP_GOAL + 250,
            "date": today,
        }

        await sim.call("POST", "/deliveries/wait", {"timeout": 10})
        await asyncio.sleep(1)  # actions that should not run would have run by now
        assert ran.empty(), ran.get_nowait()


async def _recharge_status(sim: SimControl, day: str) -> str:
    """Return the status key of the simulator's Nightly Recharge of Alice's night."""
    doc = await sim.accesslink(ALICE, CLIENT_ID, f"/v3/users/nightly-recharge/{day}")
    return STATUSES[doc["nightly_recharge_status"] - 1]


async def _webhook_ready(sim: SimControl) -> bool:
    """Return whether the webhook at the simulator subscribes to workouts and nights."""
    hook = (await sim.client(CLIENT_ID)).get("webhook")
    return bool(hook and {"EXERCISE", "SLEEP"} <= set(hook["events"]))
