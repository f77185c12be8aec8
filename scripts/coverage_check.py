"""Fail unless every module of the integration is covered to at least the minimum, on its own."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

PACKAGE = "custom_components/polar_flow/"
MINIMUM = 95.0


def main() -> int:
    """Check the per-module coverage in a `coverage json` report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path, help="the output of `coverage json`")
    parser.add_argument("--minimum", type=float, default=MINIMUM)
    args = parser.parse_args()
    files: dict[str, dict[str, dict[str, float]]] = json.loads(args.report.read_text())["files"]
    modules = {
        path: data["summary"]["percent_covered"]
        for path, data in sorted(files.items())
        if path.replace("\\", "/").startswith(PACKAGE)
    }
    if not modules:
        print(f"No module of {PACKAGE} in {args.report}")
        return 1
    low = {path: percent for path, percent in modules.items() if percent < args.minimum}
    for path, percent in low.items():
        print(f"{path}: {percent:.1f} % covered, below {args.minimum:g} %")
    if low:
        return 1
    print(f"Every module of {PACKAGE} is covered to at least {args.minimum:g} % ({len(modules)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
