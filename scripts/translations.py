"""Compare each translation of Polar Flow with English: missing, extra and mismatched strings.

Run `python -m scripts.translations` after en.json changed: it lists, per language, each key
to translate with its English text, each key English no longer has, and each string whose
{placeholders} differ from English's. It exits 1 when any language has a problem.
`--fix-order` rewrites each language in English's key order, after new keys were appended.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping, Sequence
import json
from pathlib import Path
from string import Formatter
import sys
from typing import Any

TRANSLATIONS = Path(__file__).resolve().parents[1] / "custom_components/polar_flow/translations"
ENGLISH = "en"


def flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield each string of a translation tree with its dotted key, in the file's order."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def placeholders(text: str) -> set[str]:
    """Return the names of the {placeholders} in text; ValueError for an unmatched brace."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def problems(english: Mapping[str, str], other: Mapping[str, Any]) -> list[str]:
    """Return what a language's strings lack, add or fill in differently from English's."""
    found = [
        f"missing {key}: {json.dumps(text)}" for key, text in english.items() if key not in other
    ]
    found += [f"extra {key}" for key in other if key not in english]
    for key, text in other.items():
        if key not in english:
            continue
        if not isinstance(text, str) or not text.strip():
            found.append(f"empty {key}")
            continue
        try:
            own = placeholders(text)
        except ValueError:
            found.append(f"unmatched brace in {key}")
            continue
        if own != (wanted := placeholders(english[key])):
            found.append(f"placeholders of {key}: {sorted(own)}, English has {sorted(wanted)}")
    shared = [key for key in other if key in english]
    if shared != [key for key in english if key in other]:
        found.append("key order differs from English (fix with --fix-order)")
    return found


def read(path: Path) -> dict[str, Any]:
    """Return a translation file's tree."""
    tree: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return tree


def check(folder: Path, languages: Sequence[str] = ()) -> dict[str, list[str]]:
    """Return the problems of each language in folder, or of the languages given."""
    english = dict(flatten(read(folder / f"{ENGLISH}.json")))
    paths = [folder / f"{language}.json" for language in languages] or sorted(
        path for path in folder.glob("*.json") if path.stem != ENGLISH
    )
    report = {}
    for path in paths:
        try:
            report[path.stem] = problems(english, dict(flatten(read(path))))
        except (OSError, ValueError) as err:
            report[path.stem] = [f"unreadable: {err}"]
    return report


def ordered(english: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """Return other's tree with its keys in English's order, its extra keys last."""
    keys = [key for key in english if key in other] + [key for key in other if key not in english]
    return {
        key: ordered(english[key], other[key])
        if isinstance(other[key], Mapping) and isinstance(english.get(key), Mapping)
        else other[key]
        for key in keys
    }


def fix_order(folder: Path, languages: Sequence[str]) -> None:
    """Rewrite the languages' readable files in English's key order."""
    english = read(folder / f"{ENGLISH}.json")
    for language in languages:
        path = folder / f"{language}.json"
        try:
            tree = read(path)
        except OSError, ValueError:
            continue  # reported by check
        text = json.dumps(ordered(english, tree), ensure_ascii=False, indent=2)
        path.write_text(f"{text}\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Print each language's problems; return 1 if there is any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*", help="the languages to check (default: all)")
    parser.add_argument("--folder", type=Path, default=TRANSLATIONS)
    parser.add_argument("--fix-order", action="store_true", help="rewrite in English's order")
    args = parser.parse_args(argv)
    report = check(args.folder, args.languages)
    if args.fix_order:
        fix_order(args.folder, list(report))
        report = check(args.folder, args.languages)
    english = sum(1 for _ in flatten(read(args.folder / f"{ENGLISH}.json")))
    for language, found in report.items():
        count = f"{len(found)} problem{'s' * (len(found) != 1)}"
        print(f"{language}: {count}" if found else f"{language}: complete")
        for problem in found:
            print(f"  {problem}")
    print(f"English has {english} strings.")
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
