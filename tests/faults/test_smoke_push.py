"""Push works end to end against the real simulator."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import Polar, errors_in_log


@pytest.mark.timeout(30)
async def test_push(polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture) -> None:
    ids = {await polar.workout() for _ in range(3)}
    await polar.settle()
    polar.assert_exactly_once(ids)
    assert len(polar.api_hits("/v3/exercises/")) == 3
    assert errors_in_log(caplog) == []
