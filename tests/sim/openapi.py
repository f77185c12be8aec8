"""Polar's OpenAPI document and JSON-schema validation against its component schemas."""

from __future__ import annotations

import copy
from functools import cache
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

SPEC_IN_SHARED = Path("shared") / "polar-accesslink" / "openapi.yaml"


def _find_spec() -> Path:
    """Return shared/polar-accesslink/openapi.yaml of the nearest ancestor that has it."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / SPEC_IN_SHARED).exists():
            return folder / SPEC_IN_SHARED
    return here.parents[3] / SPEC_IN_SHARED


SPEC = _find_spec()


@cache
def spec() -> dict[str, Any]:
    """Load the OpenAPI document (fail on CI when it is missing, skip elsewhere)."""
    if not SPEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SPEC} is missing")
        pytest.skip(f"{SPEC} not available")
    data: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return data


def _closed(schema: Any) -> Any:
    """Forbid properties the spec does not name (catches misspelt field names)."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


@cache
def _components(closed: bool) -> dict[str, Any]:
    """Return the spec's components (closed: no unnamed properties)."""
    components = copy.deepcopy(spec()["components"])
    return _closed(components) if closed else components


def validate(instance: Any, ref: str, *, closed: bool = True) -> None:
    """Validate against #/components/schemas/<ref>."""
    schema = {"$ref": f"#/components/schemas/{ref}", "components": _components(closed)}
    jsonschema.validate(instance, schema, format_checker=jsonschema.FormatChecker())


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    """Return the JSON schema the spec declares for a response."""
    op = spec()["paths"][path][method]
    schema: dict[str, Any] = op["responses"][status]["content"]["application/json"]["schema"]
    return schema


def validate_response(instance: Any, path: str, status: str = "200") -> None:
    """Validate a GET response body against the schema the spec declares for path."""
    schema = {**response_schema(path, "get", status), "components": _components(True)}
    jsonschema.validate(instance, schema, format_checker=jsonschema.FormatChecker())
