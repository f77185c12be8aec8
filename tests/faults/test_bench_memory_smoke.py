"""`scripts/bench --memory --smoke` keeps working: real hass processes, the simulator, JSON out."""

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
def test_bench_memory_smoke(socket_enabled: None, tmp_path: Path) -> None:
    """Every run reports growth by group of files, the flat fits and figures per account."""
    out = tmp_path / "bench-memory.json"
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-m", "scripts.bench_memory", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
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
