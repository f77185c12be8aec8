"""scripts/translations.py lists what each language lacks and can restore English's key order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import translations

ENGLISH = {
    "config": {"abort": {"rate_limited": "Try again in {minutes} min.", "done": "Done."}},
    "entity": {"sensor": {"steps": {"name": "Steps", "unit_of_measurement": "steps"}}},
}


def write(folder: Path, language: str, tree: dict[str, Any]) -> None:
    """Write a translation file as the integration's are written."""
    text = json.dumps(tree, ensure_ascii=False, indent=2)
    (folder / f"{language}.json").write_text(f"{text}\n", encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return a translations folder holding English."""
    write(tmp_path, "en", ENGLISH)
    return tmp_path


def test_the_shipped_languages_are_complete(capsys: pytest.CaptureFixture[str]) -> None:
    """Every language the integration ships has all of English's strings."""
    assert translations.main([]) == 0
    assert "problems" not in capsys.readouterr().out


def test_lists_what_a_language_lacks_adds_and_fills_differently(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each problem is named with its key; a missing key shows the English text to translate."""
    write(
        folder,
        "sv",
        {
            "config": {"abort": {"rate_limited": "Försök igen om {minuter} min.", "old": "Gammal"}},
            "entity": {"sensor": {"steps": {"name": "Steg", "unit_of_measurement": " "}}},
        },
    )
    write(folder, "de", ENGLISH)
    assert translations.main(["--folder", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "de: complete",
        "sv: 4 problems",
        '  missing config.abort.done: "Done."',
        "  extra config.abort.old",
        "  placeholders of config.abort.rate_limited: ['minuter'], English has ['minutes']",
        "  empty entity.sensor.steps.unit_of_measurement",
        "English has 4 strings.",
    ]


def test_an_unreadable_file_is_a_problem(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not JSON, or a stray brace, is reported instead of raising."""
    (folder / "nb.json").write_text('{"config": ', encoding="utf-8")
    broken = json.loads(json.dumps(ENGLISH))
    broken["config"]["abort"]["rate_limited"] = "Prøv igjen om {minutes min."
    write(folder, "da", broken)
    assert translations.main(["--folder", str(folder), "nb", "da"]) == 1
    out = capsys.readouterr().out
    assert "nb: 1 problem\n  unreadable: " in out
    assert "da: 1 problem\n  unmatched brace in config.abort.rate_limited" in out


def test_fix_order_puts_keys_in_englishs_order(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keys appended in another order are moved to English's, keeping every text."""
    shuffled = {
        "entity": {"sensor": {"steps": {"unit_of_measurement": "steg", "name": "Steg"}}},
        "config": {"abort": {"done": "Klart.", "rate_limited": "Försök igen om {minutes} min."}},
    }
    write(folder, "sv", shuffled)
    assert translations.main(["--folder", str(folder)]) == 1
    assert "key order differs from English" in capsys.readouterr().out

    assert translations.main(["--folder", str(folder), "--fix-order"]) == 0
    fixed = json.loads((folder / "sv.json").read_text(encoding="utf-8"))
    assert fixed == shuffled
    assert list(translations.flatten(fixed)) == [
        ("config.abort.rate_limited", "Försök igen om {minutes} min."),
        ("config.abort.done", "Klart."),
        ("entity.sensor.steps.name", "Steg"),
        ("entity.sensor.steps.unit_of_measurement", "steg"),
    ]
