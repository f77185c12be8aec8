"""Parsing of sleep and Nightly Recharge JSON into models."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import InvalidDataError, NightlyRecharge, Sleep

from .payloads import fixture

EET = dt.timezone(dt.timedelta(hours=2))


def test_sleep_full() -> None:
    sleep = Sleep.from_dict(fixture("sleep.json"))
    assert sleep == Sleep(
        date=dt.date(2026, 11, 27),
        sleep_start_time=dt.datetime(2026, 11, 26, 23, 12, 30, tzinfo=EET),
        sleep_end_time=dt.datetime(2026, 11, 27, 6, 58, tzinfo=EET),
        device_id="C7A1B2D3",
        continuity=3.4,
        continuity_class=3,
        light_sleep=14820,
        deep_sleep=5160,
        rem_sleep=5940,
        unrecognized_sleep_stage=0,
        total_interruption_duration=2010,
        short_interruption_duration=1290,
        long_interruption_duration=720,
        sleep_score=78,
        sleep_charge=3,
        sleep_goal=28800,
        sleep_rating=4,
        sleep_cycles=5,
        group_duration_score=83.5,
        group_solidity_score=71.2,
        group_regeneration_score=64.8,
    )
    assert sleep.total_sleep == 25920
    assert sleep.sleep_start_time is not None
    assert sleep.sleep_end_time is not None
    # Asleep plus awake in between is the whole night.
    night = sleep.sleep_end_time - sleep.sleep_start_time
    assert sleep.total_sleep + 2010 == night.total_seconds()


def test_sleep_is_frozen_and_slotted() -> None:
    sleep = Sleep.from_dict({"date": "2026-11-27"})
    assert not hasattr(sleep, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sleep.sleep_score = 1  # type: ignore[misc]


def test_sleep_only_date() -> None:
    sleep = Sleep.from_dict({"date": "2026-11-27"})
    assert sleep.date == dt.date(2026, 11, 27)
    values = {field.name: getattr(sleep, field.name) for field in dataclasses.fields(sleep)}
    assert {name for name, value in values.items() if value is not None} == {"date"}
    assert sleep.total_sleep is None


def test_sleep_wrong_types_become_none() -> None:
    garbage: dict[str, Any] = {
        "date": "2026-11-27",
        "sleep_start_time": "yesterday",
        "sleep_end_time": 1764222000,
        "device_id": ["C7A1B2D3"],
        "continuity": "3.4",
        "continuity_class": 2.5,
        "light_sleep": "14820",
        "deep_sleep": True,
        "rem_sleep": None,
        "unrecognized_sleep_stage": {"s": 1},
        "total_interruption_duration": float("nan"),
        "short_interruption_duration": "PT5M",
        "long_interruption_duration": [],
        "sleep_score": "78",
        "sleep_charge": False,
        "sleep_goal": 28800.5,
        "sleep_rating": "well",
        "sleep_cycles": {},
        "group_duration_score": "83.5",
        "group_solidity_score": float("inf"),
        "group_regeneration_score": True,
    }
    sleep = Sleep.from_dict(garbage)
    assert sleep == Sleep(date=dt.date(2026, 11, 27))
    assert sleep.total_sleep is None


def test_sleep_lenient_numbers() -> None:
    sleep = Sleep.from_dict(
        {
            "date": "2026-11-27",
            "light_sleep": 14820.0,
            "continuity": 3,
            "device_id": 1234,
            "sleep_start_time": "2026-11-26T21:12:30",
        }
    )
    assert sleep.light_sleep == 14820
    assert sleep.continuity == 3.0
    assert isinstance(sleep.continuity, float)
    assert sleep.device_id == "1234"
    # A time without an offset is taken as UTC, never left naive.
    assert sleep.sleep_start_time == dt.datetime(2026, 11, 26, 21, 12, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("stages", "total"),
    [
        ({"light_sleep": 100}, 100),
        ({"deep_sleep": 50, "rem_sleep": 25}, 75),
        ({"light_sleep": 1, "deep_sleep": 2, "rem_sleep": 3, "unrecognized_sleep_stage": 4}, 10),
        ({"unrecognized_sleep_stage": 600}, 600),
        ({"light_sleep": 0}, 0),
        ({"light_sleep": "100"}, None),
        ({}, None),
    ],
)
def test_sleep_total(stages: dict[str, Any], total: int | None) -> None:
    assert Sleep.from_dict({"date": "2026-11-27", **stages}).total_sleep == total


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"date": None},
        {"date": ""},
        {"date": "2026-13-01"},
        {"date": 20261127},
        {"date": "yesterday"},
        [],
        "2026-11-27",
    ],
    ids=["missing", "null", "empty", "bad-month", "number", "word", "array", "string"],
)
def test_sleep_requires_date(data: Any) -> None:
    with pytest.raises(InvalidDataError, match="sleep"):
        Sleep.from_dict(data)


def test_nightly_recharge_full() -> None:
    recharge = NightlyRecharge.from_dict(fixture("nightly_recharge.json"))
    assert recharge == NightlyRecharge(
        date=dt.date(2026, 11, 27),
        heart_rate_avg=54,
        beat_to_beat_avg=1111,
        heart_rate_variability_avg=46,
        breathing_rate_avg=13.6,
        nightly_recharge_status=4,
        ans_charge=2.5,
        ans_charge_status=3,
    )


def test_nightly_recharge_only_date() -> None:
    recharge = NightlyRecharge.from_dict({"date": "2026-11-27"})
    assert recharge == NightlyRecharge(date=dt.date(2026, 11, 27))
    assert not hasattr(recharge, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        recharge.ans_charge = 1.0  # type: ignore[misc]


def test_nightly_recharge_wrong_types_become_none() -> None:
    recharge = NightlyRecharge.from_dict(
        {
            "date": "2026-11-27",
            "heart_rate_avg": "54",
            "beat_to_beat_avg": 1111.5,
            "heart_rate_variability_avg": None,
            "breathing_rate_avg": "13.6",
            "nightly_recharge_status": "4",
            "ans_charge": float("nan"),
            "ans_charge_status": True,
        }
    )
    assert recharge == NightlyRecharge(date=dt.date(2026, 11, 27))


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, None), (1, 1), (6, 6), (7, None), (-1, None), (4.0, 4)],
)
def test_nightly_recharge_status_scale(status: Any, expected: int | None) -> None:
    recharge = NightlyRecharge.from_dict({"date": "2026-11-27", "nightly_recharge_status": status})
    assert recharge.nightly_recharge_status == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, None), (1, 1), (5, 5), (6, None), (-3, None)],
)
def test_ans_charge_status_scale(status: int, expected: int | None) -> None:
    recharge = NightlyRecharge.from_dict({"date": "2026-11-27", "ans_charge_status": status})
    assert recharge.ans_charge_status == expected


@pytest.mark.parametrize(
    ("ans_charge", "expected"),
    [(-10.0, -10.0), (0, 0.0), (10, 10.0), (-4.8, -4.8)],
)
def test_ans_charge_keeps_its_sign(ans_charge: float, expected: float) -> None:
    recharge = NightlyRecharge.from_dict({"date": "2026-11-27", "ans_charge": ans_charge})
    assert recharge.ans_charge == expected


@pytest.mark.parametrize(
    "data",
    [{}, {"date": "27.11.2026"}, {"heart_rate_avg": 54}, None],
    ids=["empty", "finnish-date", "no-date", "null"],
)
def test_nightly_recharge_requires_date(data: Any) -> None:
    with pytest.raises(InvalidDataError, match="Nightly Recharge"):
        NightlyRecharge.from_dict(data)
