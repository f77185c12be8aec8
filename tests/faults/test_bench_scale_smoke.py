"""`scripts/bench --scale` keeps working: the scheduler of one client in simulated time."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: the bench runs in its own process."""


@pytest.mark.timeout(120)
def test_bench_scale_smoke(tmp_path: Path) -> None:
    """A small club for a simulated day and hours of polling: no 429, every request counted."""
    out = tmp_path / "bench-scale.json"
    done = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            "-m",
            "scripts.bench_scale",
            "--accounts",
            "20",
            "--backfills",
            "5",
            "--poll-hours",
            "2",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "push wait for a turn" in done.stdout
    results = json.loads(out.read_text())
    day, polling = results["runs"]
    assert day["http_429"] == polling["http_429"] == 0
    # The measured day (docs/requests.md) and the backfill of 5 of the 20 accounts.
    assert day["requests"] == 20 * 48 + 5 * 15
    assert polling["poll_every_min"] == 30.0
