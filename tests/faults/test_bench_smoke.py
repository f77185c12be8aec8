"""The bench scripts keep working: acknowledgements, start-up, memory and scale, JSON out."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: Home Assistant runs in its own process here."""


def run_bench(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run one of the bench scripts as `scripts/bench` does; fail with its output if it fails."""
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-m", f"scripts.{module}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.timeout(150)
def test_bench_smoke(socket_enabled: None, tmp_path: Path) -> None:
    """The smoke run ends with every notice published once and at most one fetch per notice."""
    out = tmp_path / "bench-results.json"
    done = run_bench("bench_run", "--smoke", "--out", str(out), timeout=140)
    results = json.loads(out.read_text())
    for key in ("machine", "command", "setup_ms", "bursts", "e2e", "totals", "rss_kib_idle",
                "hass_log_errors", "integration_log_errors"):  # fmt: skip
        assert key in results, key
    (burst,) = results["bursts"]
    assert burst["notices"] == 50
    for side in ("baseline", "floor", "integration"):
        assert burst[side]["statuses"] == {"200": 50}
        assert {"p50", "p99"} <= set(burst[side]["ack_ms"])
    # The floor really did the work: one fetch and one bus event per notice.
    assert burst["floor"]["fired"] == 50
    assert burst["floor_ratio"] > 0
    assert burst["lost"] == burst["duplicated"] == 0
    # At most one fetch per notice: what the client's bound on pending fetches drops is
    # published by one catch-up listing instead.
    assert 0 < burst["requests_per_notice"] <= 1.0
    assert set(results["e2e"]) == {"api_0ms", "api_100ms"}
    for e2e in results["e2e"].values():
        assert e2e["lost"] == e2e["duplicated"] == 0
        assert e2e["measured"] == e2e["workouts"]
    totals = results["totals"]
    assert totals["lost"] == totals["duplicated"] == 0
    assert totals["published"] == totals["sent"]
    assert results["integration_log_errors"] == []
    assert "table" not in done.stderr
    assert "end-to-end api_0ms" in done.stdout
    assert "floor/s" in done.stdout


@pytest.mark.timeout(300)
def test_bench_startup_smoke(socket_enabled: None, tmp_path: Path) -> None:
    """`scripts/bench --startup 1` restarts hass with the entry on and disabled, and says so."""
    out = tmp_path / "startup.json"
    done = run_bench(
        "bench_run", "--startup", "1", "--repeats", "1", "--out", str(out), timeout=290
    )
    (row,) = json.loads(out.read_text())["startup"]
    assert row["accounts"] == 1
    assert row["running_on_s"] > 0
    assert row["running_off_s"] > 0
    assert 0 < row["entries_loaded_s"] <= row["running_on_s"] + 1
    assert row["setup_info_s"] > 0
    assert "accounts |  running disabled" in done.stdout


@pytest.mark.timeout(150)
def test_bench_memory_smoke(socket_enabled: None, tmp_path: Path) -> None:
    """Every run reports growth by group of files, the flat fits and figures per account."""
    out = tmp_path / "bench-memory.json"
    done = run_bench("bench_memory", "--smoke", "--out", str(out), timeout=140)
    results = json.loads(out.read_text())
    notices = results["notices"]
    groups = {"polar_flow", "homeassistant", "recorder", "bench", "other"}
    assert set(notices["baseline"]["groups"]) == groups
    assert set(notices["integration"]["groups"]) == groups
    # The baseline's events come from the probe; the integration's from its own files.
    assert notices["baseline"]["caused"]["bench"] > 0
    assert notices["integration"]["caused"]["polar_flow"] > 0
    assert notices["integration"]["lost"] == notices["integration"]["duplicated"] == 0
    assert notices["integration"]["data"]["history_items"] >= notices["notices"]
    flat = notices["flat"]
    assert [s["notices"] for s in flat["samples"]] == [40, 80]
    assert flat["slope_bytes"]["integration_files"] is not None
    steps = results["per_account"]["steps"]
    assert [s["accounts"] for s in steps] == [1, 2]
    for step in steps:
        assert step["lost_exercises"] == 0
        # Every kind has data after the simulator's day.
        assert step["data"]["history_items"] > 0
    assert results["integration_log_errors"] == []
    assert "integration's own growth" in done.stdout
    assert "per account, every kind on" in done.stdout


@pytest.mark.timeout(120)
def test_bench_scale_smoke(tmp_path: Path) -> None:
    """A small club for a simulated day and hours of polling: no 429, every request counted."""
    out = tmp_path / "bench-scale.json"
    done = run_bench(
        "bench_scale",
        "--accounts",
        "20",
        "--backfills",
        "5",
        "--poll-hours",
        "2",
        "--out",
        str(out),
        timeout=110,
    )
    assert "push wait for a turn" in done.stdout
    results = json.loads(out.read_text())
    day, polling = results["runs"]
    assert day["http_429"] == polling["http_429"] == 0
    # The measured day (docs/requests.md) and the backfill of 5 of the 20 accounts.
    assert day["requests"] == 20 * 48 + 5 * 15
    assert polling["poll_every_min"] == 30.0
