"""`scripts/bench --smoke` keeps working: a real hass, the simulator, 50 notices, JSON out."""

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


@pytest.mark.timeout(150)
def test_bench_smoke(socket_enabled: None, tmp_path: Path) -> None:
    """The smoke run ends with every notice published once and at most one fetch per notice."""
    out = tmp_path / "bench-results.json"
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-m", "scripts.bench_run", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
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
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-m", "scripts.bench_run", "--startup", "1", "--repeats", "1",
         "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=290,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (row,) = json.loads(out.read_text())["startup"]
    assert row["accounts"] == 1
    assert row["running_on_s"] > 0
    assert row["running_off_s"] > 0
    assert 0 < row["entries_loaded_s"] <= row["running_on_s"] + 1
    assert row["setup_info_s"] > 0
    assert "accounts |  running disabled" in done.stdout
