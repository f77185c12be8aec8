"""Run the simulator: `python -m accesslink_sim [serve] [flags]` or a control command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
