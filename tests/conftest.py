"""Shared fixtures for the Polar Flow tests."""

from __future__ import annotations

import logging

import pytest

# The test plugin logs every SQL statement of the recorder at info; the statistics tests run one.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/polar_flow in every test."""
