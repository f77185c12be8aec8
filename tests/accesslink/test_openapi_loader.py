"""The loader of Polar's OpenAPI description: skip locally, fail on CI when it is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from . import openapi

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [("true", pytest.fail.Exception), ("TRUE", pytest.fail.Exception), ("", pytest.skip.Exception)],
)
def test_missing_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(openapi, "SPEC_PATH", tmp_path / "missing.yaml")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"openapi\.yaml not found"):
        openapi.load_spec()


def test_example_without_any_example_is_a_lookup_error() -> None:
    spec = {"components": {"schemas": {"x": {"type": "string"}}}}
    with pytest.raises(LookupError):
        openapi.example(spec, "x")
