"""Sleep and Nightly Recharge as Polar serves them: late recharge, repeated and changed nights."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from accesslink_sim.app import SimServer
from accesslink_sim.cli import build_parser, config_from_args, main
from accesslink_sim.data import generate_sleep, rng_for
from accesslink_sim.state import User

from .openapi import validate
from .util import Receiver, Sim, World, fast_config

DAY = "2026-05-01"


async def _get(sim: Sim, world: World, path: str, status: int = 200) -> Any:
    """GET an API path with the world's token and return its JSON (None when not 200)."""
    async with sim.session.get(sim.url + path, headers=world.bearer) as resp:
        assert resp.status == status, await resp.text()
        return await resp.json() if status == 200 else None


async def _world(sim: Sim, receiver: Receiver | None = None) -> World:
    """Set the clock to the morning after the night of DAY and make a world."""
    await sim.ctl("POST", "/_sim/clock", {"set": f"{DAY}T07:00:00+00:00"})
    return await sim.world(receiver, events=["SLEEP"])


async def _night(sim: Sim, world: World, body: dict[str, Any] | None = None) -> Any:
    """Record the night of DAY for the world's user."""
    return await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/sleep", {"date": DAY, **(body or {})}
    )


async def _recharge_dates(sim: Sim, world: World) -> list[str]:
    """Return the dates the Nightly Recharge list has."""
    return [r["date"] for r in (await _get(sim, world, "/v3/users/nightly-recharge"))["recharges"]]


async def test_recharge_is_not_there_until_the_delay_has_passed(sim: Sim) -> None:
    """With recharge_delay, the night's sleep is there at once, its recharge only later."""
    world = await _world(sim)
    settings = await sim.ctl("POST", "/_sim/settings", {"recharge_delay": 3600})
    assert settings["recharge_delay"] == 3600
    await _night(sim, world)

    assert (await _get(sim, world, f"/v3/users/sleep/{DAY}"))["date"] == DAY
    await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}", 404)
    assert await _recharge_dates(sim, world) == []

    await sim.ctl("POST", "/_sim/clock", {"advance": 3599})
    await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}", 404)
    await sim.ctl("POST", "/_sim/clock", {"advance": 1})
    recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")
    assert recharge["date"] == DAY
    assert await _recharge_dates(sim, world) == [DAY]


async def test_recharge_delay_applies_to_nights_recorded_afterwards(sim: Sim) -> None:
    """Changing the delay neither hides nor reveals recharges of nights already recorded."""
    world = await _world(sim)
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleep", {"date": "2026-04-30"})
    await sim.ctl("POST", "/_sim/settings", {"recharge_delay": 600})
    await _night(sim, world)
    assert await _recharge_dates(sim, world) == ["2026-04-30"]
    await sim.ctl("POST", "/_sim/settings", {"recharge_delay": 0})
    assert await _recharge_dates(sim, world) == ["2026-04-30"]
    await sim.ctl("POST", "/_sim/clock", {"advance": 600})
    assert await _recharge_dates(sim, world) == ["2026-04-30", DAY]


async def test_late_recharge_survives_a_restart(tmp_path: Path, sim: Sim) -> None:
    """The delay setting and a night's pending recharge are in the state file."""
    config = fast_config(state_file=tmp_path / "sim.state.json")
    async with SimServer(config) as server:
        first = Sim(server, sim.session)
        world = await _world(first)
        await first.ctl("POST", "/_sim/settings", {"recharge_delay": 1800})
        await _night(first, world)
    async with SimServer(config) as server:
        again = Sim(server, sim.session)
        assert (await again.ctl("GET", "/_sim/settings"))["recharge_delay"] == 1800
        await _get(again, world, f"/v3/users/nightly-recharge/{DAY}", 404)
        await again.ctl("POST", "/_sim/clock", {"advance": 1800})
        assert await _recharge_dates(again, world) == [DAY]


@pytest.mark.parametrize("value", [-1, "soon", True, None, 10**9])
async def test_recharge_delay_must_be_seconds(sim: Sim, value: object) -> None:
    await sim.ctl("POST", "/_sim/settings", {"recharge_delay": value}, status=400)
    assert (await sim.ctl("GET", "/_sim/settings"))["recharge_delay"] == 0


async def test_recharge_delay_from_configuration_and_command_line(sim: Sim) -> None:
    """SimConfig.recharge_delay, `serve --recharge-delay` and the start-up file set it."""
    args = build_parser().parse_args(["serve", "--recharge-delay", "5400"])
    assert config_from_args(args).recharge_delay == 5400
    assert config_from_args(build_parser().parse_args(["serve"])).recharge_delay == 0
    initial = {"settings": {"recharge_delay": 120}}
    for config, expected in (
        (fast_config(recharge_delay=900.0), 900),
        (fast_config(initial=initial), 120),
    ):
        async with (
            SimServer(config) as server,
            sim.session.get(server.url + "/_sim/settings") as resp,
        ):
            assert (await resp.json())["recharge_delay"] == expected


async def test_repeat_pushes_the_same_night_again(sim: Sim, receiver: Receiver) -> None:
    """Polar has delivered SLEEP twice for one night: repeat pushes again, data unchanged."""
    world = await _world(sim, receiver)
    await _night(sim, world)
    before = await _get(sim, world, f"/v3/users/sleep/{DAY}")
    recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")

    repeated = await sim.ctl(
        "POST",
        f"/_sim/users/{world.user_id}/sleep",
        {"date": DAY, "repeat": True},
        status=200,
    )
    assert repeated["data"] == before
    first, second = await receiver.wait_notices(2)
    assert first.json["date"] == second.json["date"] == DAY
    assert first.json["url"] == second.json["url"]
    assert await _get(sim, world, f"/v3/users/sleep/{DAY}") == before
    assert await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}") == recharge


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"date": "2026-04-01", "repeat": True}, 404),  # no night on that date
        ({"date": DAY, "repeat": True, "fields": {"sleep_score": 1}}, 400),
        ({"date": DAY, "repeat": True, "push": False}, 400),
        ({"date": DAY, "repeat": "yes"}, 400),
    ],
)
async def test_repeat_needs_an_existing_night_and_nothing_else(
    sim: Sim, body: dict[str, Any], status: int
) -> None:
    world = await _world(sim)
    await _night(sim, world, {"push": False})
    await sim.ctl("POST", f"/_sim/users/{world.user_id}/sleep", body, status=status)


async def test_changed_night_replaces_sleep_and_recharge_and_pushes_again(
    sim: Sim, receiver: Receiver
) -> None:
    """Recording a night again with fields changes it, its recharge follows, SLEEP again."""
    world = await _world(sim, receiver)
    await _night(sim, world, {"fields": {"sleep_score": 95}})
    good = await _get(sim, world, f"/v3/users/sleep/{DAY}")
    good_recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")

    await _night(sim, world, {"fields": {"sleep_score": 40}})
    bad = await _get(sim, world, f"/v3/users/sleep/{DAY}")
    bad_recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")

    assert (good["sleep_score"], bad["sleep_score"]) == (95, 40)
    assert good["sleep_charge"] >= 4  # above the usual level
    assert bad["sleep_charge"] <= 2  # below it
    assert bad["sleep_start_time"] == good["sleep_start_time"]  # the same night, rescored
    assert bad_recharge["ans_charge"] == good_recharge["ans_charge"]
    assert bad_recharge["nightly_recharge_status"] < good_recharge["nightly_recharge_status"]
    assert (await _get(sim, world, "/v3/users/sleep"))["nights"] == [bad]
    assert (await _get(sim, world, "/v3/users/nightly-recharge"))["recharges"] == [bad_recharge]
    notices = await receiver.wait_notices(2)
    assert [n.json["date"] for n in notices] == [DAY, DAY]


async def test_explicit_sleep_charge_drives_the_recharge(sim: Sim) -> None:
    world = await _world(sim)
    await _night(sim, world, {"fields": {"sleep_charge": 5}, "push": False})
    high = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")
    await _night(sim, world, {"fields": {"sleep_charge": 1}, "push": False})
    low = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")
    assert (await _get(sim, world, f"/v3/users/sleep/{DAY}"))["sleep_charge"] == 1
    assert low["nightly_recharge_status"] < high["nightly_recharge_status"]


def _nights() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Generate nights for several seeds, users (time zones) and dates."""
    out = []
    users = [
        User(user_id=10_000_001, utc_offset_minutes=120),
        User(user_id=10_000_002, utc_offset_minutes=-300, gender="FEMALE", weight=61.0),
    ]
    for seed, user, n in itertools.product(range(1, 6), users, range(12)):
        day = date(2026, 1, 1) + timedelta(days=n * 17)
        rng = rng_for(seed, user.user_id, "sleep", day.isoformat())
        out.append(generate_sleep(rng, user, day, "http://127.0.0.1:1"))
    return out


def test_generated_nights_validate_against_the_spec() -> None:
    nights = _nights()
    for sleep, recharge in nights:
        validate(sleep, "sleep")
        validate(recharge, "nightly-recharge")
    validate({"nights": [s for s, _ in nights]}, "nights")
    validate({"recharges": [r for _, r in nights]}, "recharges")


def _local_times(start: datetime, end: datetime, keys: dict[str, Any]) -> bool:
    """Tell whether every HH:MM key lies within [start, end] (the night may cross midnight)."""
    for key in keys:
        hour, minute = map(int, key.split(":"))
        at = start.replace(hour=hour, minute=minute, second=0)
        if at < start.replace(second=0):
            at += timedelta(days=1)
        if not start.replace(second=0) <= at <= end:
            return False
    return True


def test_generated_nights_are_plausible() -> None:
    """Values stay in Polar's ranges and agree with each other."""
    for sleep, recharge in _nights():
        start = datetime.fromisoformat(sleep["sleep_start_time"])
        end = datetime.fromisoformat(sleep["sleep_end_time"])
        assert start < end
        assert end.date().isoformat() == sleep["date"] == recharge["date"]
        in_bed = (end - start).total_seconds()
        assert 4 * 3600 <= in_bed <= 11 * 3600
        stages = ("light_sleep", "deep_sleep", "rem_sleep", "unrecognized_sleep_stage")
        asleep = sum(sleep[k] for k in stages)
        assert all(sleep[k] >= 0 for k in stages)
        assert asleep <= in_bed - sleep["total_interruption_duration"]
        assert (
            sleep["short_interruption_duration"] + sleep["long_interruption_duration"]
            == sleep["total_interruption_duration"]
        )
        assert 1 <= sleep["sleep_score"] <= 100
        assert 1.0 <= sleep["continuity"] <= 5.0
        assert 1 <= sleep["continuity_class"] <= 5
        assert abs(sleep["continuity_class"] - sleep["continuity"]) <= 1
        assert 1 <= sleep["sleep_charge"] <= 5
        assert all(0 <= v <= 100 for k, v in sleep.items() if k.startswith("group_"))
        assert _local_times(start, end, sleep["hypnogram"])
        assert set(sleep["hypnogram"].values()) <= set(range(6))
        assert _local_times(start, end, sleep["heart_rate_samples"])
        assert all(30 <= v <= 110 for v in sleep["heart_rate_samples"].values())

        assert 1 <= recharge["nightly_recharge_status"] <= 6
        assert -10.0 <= recharge["ans_charge"] <= 10.0
        assert 1 <= recharge["ans_charge_status"] <= 5
        assert 35 <= recharge["heart_rate_avg"] <= 90
        assert abs(recharge["beat_to_beat_avg"] - 60000 / recharge["heart_rate_avg"]) <= 1
        assert 10 <= recharge["heart_rate_variability_avg"] <= 150
        assert 8.0 <= recharge["breathing_rate_avg"] <= 25.0
        assert _local_times(start, end, recharge["hrv_samples"])
        assert all(5 <= v <= 200 for v in recharge["hrv_samples"].values())
        assert all(8.0 <= v <= 25.0 for v in recharge["breathing_samples"].values())


def test_sleep_charge_follows_the_score_and_recharge_both_charges() -> None:
    """A better-scored night never gets a lower sleep charge; recharge grows with both charges."""
    nights = _nights()
    by_score = sorted(nights, key=lambda n: n[0]["sleep_score"])
    charges = [s["sleep_charge"] for s, _ in by_score]
    assert charges == sorted(charges)
    assert len(set(charges)) >= 3  # the scores of a month spread over several charge levels
    by_sum = sorted(nights, key=lambda n: n[0]["sleep_charge"] + n[1]["ans_charge_status"])
    statuses = [r["nightly_recharge_status"] for _, r in by_sum]
    assert statuses == sorted(statuses)


async def test_cli_records_changes_and_repeats_a_night(
    sim: Sim, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sleep --field`, `sleep --repeat` and `settings --recharge-delay` drive the same calls."""
    world = await _world(sim, receiver)

    async def cli(*args: str) -> Any:
        """Run a control command against the test's simulator and decode what it printed."""
        assert await asyncio.to_thread(main, [*args, "--sim-url", sim.url]) == 0
        return json.loads(capsys.readouterr().out)

    assert (await cli("settings", "--recharge-delay", "60"))["recharge_delay"] == 60
    uid = str(world.user_id)
    made = await cli("sleep", uid, "--date", DAY, "--field", "sleep_score=55")
    assert made["data"]["sleep_score"] == 55
    repeated = await cli("sleep", uid, "--date", DAY, "--repeat")
    assert repeated["data"] == made["data"]
    assert [n.json["date"] for n in await receiver.wait_notices(2)] == [DAY, DAY]
    await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}", 404)
    with pytest.raises(SystemExit, match="400"):
        await asyncio.to_thread(
            main, ["sleep", uid, "--date", DAY, "--repeat", "--field", "sleep_score=1",
                   "--sim-url", sim.url]
        )  # fmt: skip


async def test_malformed_fields_are_served_as_given(sim: Sim) -> None:
    """A client must cope with odd values: they are stored as given and derive nothing."""
    world = await _world(sim)
    fields = {"sleep_score": "bad", "continuity": None, "sleep_charge": 9}
    made = await _night(sim, world, {"fields": fields, "push": False})
    assert {k: made["data"][k] for k in fields} == fields
    recharge = await _get(sim, world, f"/v3/users/nightly-recharge/{DAY}")
    assert 1 <= recharge["nightly_recharge_status"] <= 6
