"""The development instance's config directory behaves like a user's."""

from __future__ import annotations

from pathlib import Path
import shutil

import pytest

from homeassistant.config import load_yaml_config_file

from scripts import develop
from scripts.harness import REPO


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """Return a copy of the tracked config/ directory, as a fresh checkout has it."""
    shutil.copy(REPO / "config" / "configuration.yaml", tmp_path / "configuration.yaml")
    return tmp_path


def test_ui_automations_scripts_and_scenes_are_loaded(config_dir: Path) -> None:
    """What the UI saves in automations.yaml, scripts.yaml and scenes.yaml is loaded at start."""
    develop.write_default_includes(config_dir)
    config = load_yaml_config_file(str(config_dir / "configuration.yaml"))
    # Empty for now: Home Assistant loads an empty include as {}.
    assert {key: config[key] for key in ("automation", "script", "scene")} == {
        "automation": {},
        "script": {},
        "scene": {},
    }

    saved = "- id: '1'\n  alias: Saved in the UI\n  triggers: []\n  actions: []\n"
    (config_dir / "automations.yaml").write_text(saved)
    develop.write_default_includes(config_dir)  # every start of scripts/develop
    config = load_yaml_config_file(str(config_dir / "configuration.yaml"))
    assert [automation["alias"] for automation in config["automation"]] == ["Saved in the UI"]
