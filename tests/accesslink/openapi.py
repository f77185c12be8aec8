"""Read Polar's OpenAPI description: examples and strict validators of its schemas."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

_SPEC = Path("shared", "polar-accesslink", "openapi.yaml")


def _find_spec() -> Path:
    """Return the spec beside the checkout or beside a parent of it (a git worktree)."""
    parents = Path(__file__).parents[3:]
    return next((path / _SPEC for path in parents if (path / _SPEC).is_file()), parents[0] / _SPEC)


SPEC_PATH = _find_spec()
_REF_PREFIX = "#/components/schemas/"


def load_spec() -> dict[str, Any]:
    """Load the description; a missing file skips, or fails when CI=true."""
    if not SPEC_PATH.is_file():
        reason = f"Polar's openapi.yaml not found at {SPEC_PATH}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the named component schema."""
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a $ref to its component schema."""
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith(_REF_PREFIX), ref
    return _resolve(spec, schema(spec, ref.removeprefix(_REF_PREFIX)))


def example(spec: dict[str, Any], name: str) -> Any:
    """Assemble an instance of a schema from the examples of its properties."""
    return _example(spec, schema(spec, name))


def _example(spec: dict[str, Any], node: dict[str, Any]) -> Any:
    """Assemble an example of one schema node; LookupError when there is none."""
    node = _resolve(spec, node)
    if "example" in node:
        return copy.deepcopy(node["example"])
    if "enum" in node:
        return node["enum"][0]
    if "items" in node:
        return [_example(spec, node["items"])]
    if "properties" in node:
        built: dict[str, Any] = {}
        for key, prop in node["properties"].items():
            try:
                built[key] = _example(spec, prop)
            except LookupError:
                continue
        return built
    raise LookupError(node)


def _closed(node: Any) -> Any:
    """Copy a schema tree, forbidding properties that an object schema does not list."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if isinstance(closed.get("properties"), dict):
        closed.setdefault("additionalProperties", False)
    return closed


def validator(spec: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    """Return a strict validator of the named schema (unlisted properties are errors)."""
    components = {"schemas": _closed(spec["components"]["schemas"])}
    root = {"$ref": f"{_REF_PREFIX}{name}", "components": components}
    return jsonschema.Draft202012Validator(root)
