"""Release Polar Flow: check a version tag, print its changelog notes, build the HACS zip.

The release workflow (.github/workflows/release.yaml) runs these steps; each also runs locally:

    python3 scripts/release.py check-version v0.2.0   # tag = manifest = pyproject, dated notes
    python3 scripts/release.py notes 0.2.0            # CHANGELOG.md's section for 0.2.0
    python3 scripts/release.py zip dist/polar_flow.zip

HACS (hacs.json `zip_release`) unpacks the zip into custom_components/polar_flow, so its root
holds the integration's files. Standard library only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
from pathlib import Path
import re
import sys
import tomllib
import zipfile

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = Path("custom_components/polar_flow")
MANIFEST = INTEGRATION / "manifest.json"
CHANGELOG = Path("CHANGELOG.md")
PYPROJECT = Path("pyproject.toml")

TAG = re.compile(r"v(\d+\.\d+\.\d+)")
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$", re.MULTILINE)
DATED = re.compile(r"- \d{4}-\d{2}-\d{2}")
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: \S+$", re.MULTILINE)
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can have
FILE_MODE = 0o100644  # a regular file, rw-r--r--


class ReleaseError(Exception):
    """A release step cannot go on; the message says why."""


def changelog_sections(text: str) -> dict[str, str]:
    """Return each `## [version]` heading's line remainder, in the changelog's order."""
    return {match["version"]: match["rest"] for match in HEADING.finditer(text)}


def notes(text: str, version: str) -> str:
    """Return the body of a version's changelog section, without link definitions."""
    headings = list(HEADING.finditer(text))
    for index, match in enumerate(headings):
        if match["version"] != version:
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        if not (body := LINK_DEFINITION.sub("", text[match.end() : end]).strip()):
            raise ReleaseError(f"{CHANGELOG}'s section for {version} is empty")
        return f"{body}\n"
    raise ReleaseError(f"{CHANGELOG} has no section for {version}")


def read_text(root: Path, path: Path) -> str:
    """Return a repository file's text; ReleaseError when it cannot be read."""
    try:
        return (root / path).read_text(encoding="utf-8")
    except OSError as err:
        raise ReleaseError(f"cannot read {path.name}: {err.strerror}") from err


def manifest_version(root: Path) -> str:
    """Return the integration's version from manifest.json."""
    try:
        version = json.loads(read_text(root, MANIFEST))["version"]
    except (ValueError, KeyError, TypeError) as err:
        raise ReleaseError(f"cannot read {MANIFEST.name}: no version ({err})") from err
    return str(version)


def pyproject_version(root: Path) -> str:
    """Return the project's version from pyproject.toml."""
    try:
        version = tomllib.loads(read_text(root, PYPROJECT))["project"]["version"]
    except (ValueError, KeyError, TypeError) as err:
        raise ReleaseError(f"cannot read {PYPROJECT.name}: no version ({err})") from err
    return str(version)


def check_version(root: Path, tag: str) -> str:
    """Return the version a release tag names, once the repository agrees with it."""
    if not (match := TAG.fullmatch(tag)):
        raise ReleaseError(f"tag {tag!r} is not vX.Y.Z")
    version = match[1]
    if (manifest := manifest_version(root)) != version:
        raise ReleaseError(f"tag {tag} is not {MANIFEST.name}'s version {manifest}")
    if (project := pyproject_version(root)) != manifest:
        raise ReleaseError(f"{PYPROJECT}'s version {project} is not {MANIFEST.name}'s {manifest}")
    text = read_text(root, CHANGELOG)
    rest = changelog_sections(text).get(version)
    if rest is None:
        raise ReleaseError(f"{CHANGELOG} has no section for {version}")
    if not DATED.fullmatch(rest.strip()):
        raise ReleaseError(
            f"{CHANGELOG}'s section for {version} has no date (## [{version}] - YYYY-MM-DD)"
        )
    notes(text, version)
    return version


def packed(source: Path) -> list[Path]:
    """Return the files of source that a release ships, in zip order: no bytecode caches."""
    return sorted(
        (
            path
            for path in source.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.relative_to(source).parts
            and path.suffix != ".pyc"
        ),
        key=lambda path: path.relative_to(source).as_posix(),
    )


def build_zip(source: Path, out: Path) -> list[str]:
    """Write source's files to the zip out, at its root, byte for byte reproducibly."""
    if out.resolve().is_relative_to(source.resolve()):
        raise ReleaseError(f"the zip cannot be written inside {INTEGRATION}")
    if not (source / MANIFEST.name).is_file():
        raise ReleaseError(f"no integration in {source}: it has no {MANIFEST.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(out, "w") as archive:
        for path in packed(source):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=EPOCH)
            info.create_system = 3  # Unix, so the mode below is read everywhere
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
            names.append(info.filename)
    return names


def main(argv: Sequence[str] | None = None) -> int:
    """Run a release step; 1 with the reason on stderr when it fails."""
    parser = argparse.ArgumentParser(prog="release.py", description="Polar Flow's release steps.")
    parser.add_argument("--root", type=Path, default=REPO, help="repository (this checkout)")
    steps = parser.add_subparsers(dest="step", required=True)
    step = steps.add_parser("check-version", help="the tag vX.Y.Z is the version to release")
    step.add_argument("tag")
    step = steps.add_parser("notes", help="print a version's CHANGELOG.md section")
    step.add_argument("version")
    step = steps.add_parser("zip", help="build the zip HACS installs")
    step.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    root: Path = args.root
    try:
        if args.step == "check-version":
            print(check_version(root, args.tag))
        elif args.step == "notes":
            print(notes(read_text(root, CHANGELOG), args.version), end="")
        else:
            names = build_zip(root / INTEGRATION, args.out)
            print(f"{args.out}: {len(names)} files")
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
