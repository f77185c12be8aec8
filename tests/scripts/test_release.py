"""scripts/release.py checks a tag, prints its changelog notes and builds the HACS zip."""

from __future__ import annotations

import json
import os
from pathlib import Path
import re
import subprocess
import sys
import tomllib
from typing import Any
import zipfile

import pytest
import yaml

from scripts import release
from scripts.harness import REPO

CHANGELOG = """\
# Changelog

All notable changes are written here.

## [Unreleased]

### Added

- Something coming.

## [0.2.0] - 2026-12-01

### Added

- Every kind of data.

### Fixed

- A night sent twice fires once.

## [0.1.0] - 2026-11-30

### Added

- Exercises.

[Unreleased]: https://example.invalid/compare/v0.2.0...HEAD
[0.2.0]: https://example.invalid/compare/v0.1.0...v0.2.0
[0.1.0]: https://example.invalid/releases/tag/v0.1.0
"""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: no Home Assistant here."""


def make_repo(root: Path, version: str = "0.2.0", changelog: str = CHANGELOG) -> Path:
    """Write the files a release reads into root, as the repository has them."""
    integration = root / "custom_components" / "polar_flow"
    integration.mkdir(parents=True)
    (integration / "manifest.json").write_text(json.dumps({"version": version}))
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
    (root / "CHANGELOG.md").write_text(changelog)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the script's command line; return its exit code, output and errors."""
    code = release.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_manifest_version_has_a_released_changelog_section(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The version in manifest.json could be tagged now: pyproject and CHANGELOG.md agree."""
    manifest = json.loads((REPO / "custom_components/polar_flow/manifest.json").read_text())
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())

    assert pyproject["project"]["version"] == manifest["version"]
    assert run(capsys, "check-version", f"v{manifest['version']}") == (
        0,
        f"{manifest['version']}\n",
        "",
    )


def test_runs_as_the_workflow_runs_it(tmp_path: Path) -> None:
    """`python scripts/release.py` works from any directory, with the standard library only."""
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-I", REPO / "scripts/release.py", "notes", "0.1.0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == release.notes((REPO / "CHANGELOG.md").read_text(), "0.1.0")


def test_the_changelog_keeps_a_changelog() -> None:
    """Unreleased first, then released versions newest first, each dated and filled in."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = release.changelog_sections(text)
    versions = list(sections)

    assert text.startswith("# Changelog\n")
    assert versions[0] == "Unreleased"
    released = [tuple(int(part) for part in version.split(".")) for version in versions[1:]]
    assert released == sorted(released, reverse=True)
    assert (0, 1, 0) in released
    for version in versions[1:]:
        assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d\d-\d\d$", text, re.M)
        assert release.notes(text, version)
    headings = set(re.findall(r"^### (.+)$", text, re.M))
    assert headings <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_check_version_prints_the_tagged_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tag vX.Y.Z matching the manifest, pyproject and a dated section passes."""
    make_repo(tmp_path)

    assert run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0") == (0, "0.2.0\n", "")


@pytest.mark.parametrize("tag", ["0.2.0", "v0.2", "v0.2.0-rc1", "refs/tags/v0.2.0", "v0.2.0 "])
def test_check_version_refuses_a_malformed_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str
) -> None:
    """Only vX.Y.Z is a release tag."""
    make_repo(tmp_path)

    code, out, err = run(capsys, "--root", str(tmp_path), "check-version", tag)

    assert (code, out) == (1, "")
    assert err == f"release: tag {tag!r} is not vX.Y.Z\n"


def test_check_version_refuses_a_tag_other_than_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tagging 0.2.1 while manifest.json still says 0.2.0 fails, naming both."""
    make_repo(tmp_path)

    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.1")

    assert code == 1
    assert err == "release: tag v0.2.1 is not manifest.json's version 0.2.0\n"


def test_check_version_refuses_a_pyproject_left_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pyproject.toml's version moves with the manifest's."""
    make_repo(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "0.1.0"\n')

    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")

    assert code == 1
    assert err == "release: pyproject.toml's version 0.1.0 is not manifest.json's 0.2.0\n"


@pytest.mark.parametrize(
    ("heading", "problem"),
    [
        ("## [Unreleased]", "CHANGELOG.md has no section for 0.2.0"),
        ("## [0.2.0]", "CHANGELOG.md's section for 0.2.0 has no date (## [0.2.0] - YYYY-MM-DD)"),
        ("## [0.2.0] - soon", "CHANGELOG.md's section for 0.2.0 has no date"),
        ("## [0.2.0] 2026-12-01", "CHANGELOG.md's section for 0.2.0 has no date"),
    ],
)
def test_check_version_needs_a_dated_changelog_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], heading: str, problem: str
) -> None:
    """A version released without its changelog section, or with an undated one, fails."""
    make_repo(tmp_path, changelog=f"# Changelog\n\n{heading}\n\n### Added\n\n- It.\n")

    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")

    assert code == 1
    assert err.startswith(f"release: {problem}")


def test_check_version_refuses_an_empty_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release needs notes."""
    make_repo(tmp_path, changelog="# Changelog\n\n## [0.2.0] - 2026-12-01\n\n## [0.1.0] - x\n")

    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")
    assert code == 1
    assert err == "release: CHANGELOG.md's section for 0.2.0 is empty\n"

    code, _, err = run(capsys, "--root", str(tmp_path), "notes", "0.2.0")
    assert code == 1
    assert err == "release: CHANGELOG.md's section for 0.2.0 is empty\n"


def test_check_version_reports_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing or broken manifest is a clear error, not a traceback."""
    make_repo(tmp_path)
    manifest = tmp_path / "custom_components/polar_flow/manifest.json"
    manifest.write_text("{")

    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")
    assert code == 1
    assert err.startswith("release: cannot read manifest.json: ")

    manifest.unlink()
    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")
    assert code == 1
    assert err.startswith("release: cannot read manifest.json: ")

    manifest.write_text(json.dumps({"version": "0.2.0"}))
    (tmp_path / "pyproject.toml").write_text("[project\n")
    code, _, err = run(capsys, "--root", str(tmp_path), "check-version", "v0.2.0")
    assert code == 1
    assert err.startswith("release: cannot read pyproject.toml: ")


def test_notes_print_the_section_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The body under the version's heading, without the heading or the link definitions."""
    make_repo(tmp_path)

    assert run(capsys, "--root", str(tmp_path), "notes", "0.2.0") == (
        0,
        "### Added\n\n- Every kind of data.\n\n### Fixed\n\n- A night sent twice fires once.\n",
        "",
    )
    assert (
        run(capsys, "--root", str(tmp_path), "notes", "0.1.0")[1] == "### Added\n\n- Exercises.\n"
    )
    assert run(capsys, "--root", str(tmp_path), "notes", "Unreleased")[1] == (
        "### Added\n\n- Something coming.\n"
    )


def test_notes_of_a_missing_version_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking for a version the changelog lacks fails without printing notes."""
    make_repo(tmp_path)

    assert run(capsys, "--root", str(tmp_path), "notes", "0.3.0") == (
        1,
        "",
        "release: CHANGELOG.md has no section for 0.3.0\n",
    )


def test_zip_holds_the_integration_at_its_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unpacked into custom_components/polar_flow, as HACS does, the zip is the integration."""
    source = REPO / "custom_components/polar_flow"
    out = tmp_path / "dist" / "polar_flow.zip"

    code, printed, _ = run(capsys, "zip", str(out))

    assert code == 0
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "custom_components" / "polar_flow")
    assert {"manifest.json", "__init__.py", "translations/en.json", "brand/icon.png"} <= set(names)
    on_disk = sorted(
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )
    assert names == on_disk
    for name in names:
        unpacked = tmp_path / "custom_components" / "polar_flow" / name
        assert unpacked.read_bytes() == (source / name).read_bytes()
    assert printed == f"{out}: {len(names)} files\n"


def test_zip_leaves_out_bytecode_and_is_deterministic(tmp_path: Path) -> None:
    """No caches; sorted entries and fixed times, so the same files give the same bytes."""
    source = tmp_path / "polar_flow"
    (source / "translations").mkdir(parents=True)
    (source / "__pycache__").mkdir()
    (source / "manifest.json").write_text("{}")
    (source / "sensor.py").write_text("x = 1\n")
    (source / "translations" / "en.json").write_text("{}")
    (source / "__pycache__" / "sensor.cpython-314.pyc").write_bytes(b"\0")
    (source / "stray.pyc").write_bytes(b"\0")

    first = release.build_zip(source, tmp_path / "first.zip")
    os.utime(source / "sensor.py", (1_000_000_000, 1_000_000_000))
    (source / "manifest.json").chmod(0o600)
    second = release.build_zip(source, tmp_path / "second.zip")

    assert first == second == ["manifest.json", "sensor.py", "translations/en.json"]
    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "second.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == first
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_zip_refuses_an_output_inside_the_integration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zip would pack itself, and HACS users would get it back."""
    inside = REPO / "custom_components/polar_flow/polar_flow.zip"

    code, _, err = run(capsys, "zip", str(inside))

    assert code == 1
    assert err == "release: the zip cannot be written inside custom_components/polar_flow\n"
    assert not inside.exists()


def test_zip_refuses_a_folder_without_the_integration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty zip is never built: HACS would install nothing."""
    source = tmp_path / "custom_components/polar_flow"

    code, _, err = run(capsys, "--root", str(tmp_path), "zip", str(tmp_path / "polar_flow.zip"))

    assert code == 1
    assert err == f"release: no integration in {source}: it has no manifest.json\n"
    assert not (tmp_path / "polar_flow.zip").exists()


def workflow() -> dict[Any, Any]:
    """Return the release workflow as GitHub reads it."""
    loaded: dict[Any, Any] = yaml.safe_load(
        (REPO / ".github/workflows/release.yaml").read_text(encoding="utf-8")
    )
    return loaded


def steps_run(job: dict[str, Any]) -> str:
    """Return the shell commands of a job's steps, one after another."""
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_hacs_installs_the_asset_the_release_workflow_publishes() -> None:
    """On a vX.Y.Z tag: checked, tested, zipped as hacs.json names it, and published."""
    hacs = json.loads((REPO / "hacs.json").read_text())
    flow = workflow()
    trigger = flow[True]  # YAML 1.1 reads the key `on` as true
    jobs = flow["jobs"]
    test_commands = steps_run(jobs["test"])
    publish_commands = steps_run(jobs["publish"])

    assert hacs["zip_release"] is True
    assert hacs["filename"] == "polar_flow.zip"
    assert trigger == {"push": {"tags": ["v*.*.*"]}}
    assert 'scripts/release.py check-version "$TAG"' in test_commands
    assert re.search(r"^scripts/test$", test_commands, re.M)
    assert jobs["publish"]["needs"] == "test"
    zipped = re.search(r"scripts/release\.py zip (\S+)", publish_commands)
    assert zipped
    asset = zipped[1]
    assert asset.strip('"').endswith(f"/{hacs['filename']}")
    assert 'VERSION=$(python scripts/release.py check-version "$TAG")' in publish_commands
    notes = re.search(r'scripts/release\.py notes "\$VERSION" > (\S+)', publish_commands)
    assert notes
    published = re.search(
        r'gh release create "\$TAG" (\S+) .*--notes-file (\S+)', publish_commands, re.S
    )
    assert published
    assert published.groups() == (asset, notes[1])


def test_only_the_publishing_job_can_write() -> None:
    """The tests run with a read-only token; contents: write is the publish job's alone."""
    flow = workflow()

    assert flow["permissions"] == {"contents": "read"}
    assert "permissions" not in flow["jobs"]["test"]
    assert flow["jobs"]["publish"]["permissions"] == {"contents": "write"}
