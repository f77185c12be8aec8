"""The diagnostics a user downloads and may attach to a public issue."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify

from custom_components.polar_flow.const import DOMAIN
from custom_components.polar_flow.kinds import KINDS

from .conftest import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    EXTERNAL_URL,
    SIGNING_SECRET,
    USER_ID,
    exercise_json,
    load_fixture,
    load_list,
    make_entry,
)

# The id Home Assistant gives credentials added in the UI: it carries the client id.
AUTH_IMPLEMENTATION = slugify(f"{DOMAIN}.{CLIENT_ID}")


@pytest.fixture
async def setup_credentials(hass: HomeAssistant, hass_ws_client: Any) -> None:
    """Add the AccessLink client as a user does, in the application credentials dialog."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    # Every view is registered before the websocket client starts the HTTP server.
    for component in ("http", "webhook", "diagnostics", "application_credentials"):
        assert await async_setup_component(hass, component, {})
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "application_credentials/create",
            "domain": DOMAIN,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    )
    result = await client.receive_json()
    assert result["success"], result
    assert result["result"]["id"] == AUTH_IMPLEMENTATION


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """Return Alice's entry, signed in with the credentials added in the UI."""
    entry = make_entry()
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data={**entry.data, "auth_implementation": AUTH_IMPLEMENTATION},
    )


@pytest.fixture
def nights() -> list[dict[str, Any]]:
    """List one night at AccessLink."""
    return [load_fixture("sleep")]


@pytest.fixture
def recharges() -> list[dict[str, Any]]:
    """List that night's Nightly Recharge."""
    return [load_fixture("nightly_recharge")]


def leaves(data: Any) -> list[Any]:
    """Return every scalar value in a JSON document."""
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in leaves(value)]
    if isinstance(data, list):
        return [leaf for value in data for leaf in leaves(value)]
    return [data]


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: Any,
    setup_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics keep the shape and counts, and no secret, name, id or health data."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    assert diagnostics == snapshot(exclude=props("entry_id", "created_at", "modified_at"))

    text = json.dumps(diagnostics)
    for secret in (
        CLIENT_ID,
        slugify(CLIENT_ID),
        CLIENT_SECRET,
        ACCESS_TOKEN,
        SIGNING_SECRET,
        "Alice",
        str(USER_ID),
    ):
        assert secret not in text
    exercise = exercise_json("EX0")
    health = {
        "EX0",
        exercise["sport"],
        exercise["device"],
        exercise["calories"],
        exercise["distance"],
        exercise["training_load"],
        exercise["heart_rate"]["average"],
        exercise["heart_rate"]["maximum"],
        42 * 60 + 10,
    }
    assert not [leaf for leaf in leaves(diagnostics) if leaf in health]
    assert "2026-11-20" not in text
    sleep, recharge = load_fixture("sleep"), load_fixture("nightly_recharge")
    night = {sleep[key] for key in ("sleep_score", "light_sleep", "deep_sleep", "continuity")}
    night |= {recharge[key] for key in ("ans_charge", "heart_rate_variability_avg")}
    assert not [leaf for leaf in leaves(diagnostics) if leaf in night]
    assert sleep["date"] not in text
    # What helps debugging stays: which fields the latest items had, and the counts per kind.
    kinds = diagnostics["account"]["kinds"]
    assert set(kinds["exercise"]["latest"]) >= {"exercise_id", "heart_rate_average"}
    assert set(kinds["sleep"]["latest"]) >= {"date", "sleep_score"}
    assert set(kinds["nightly_recharge"]["latest"]) >= {"date", "status"}
    assert set(kinds) == set(KINDS)
    assert diagnostics["webhook"]["accounts"] == 1


def every_kind() -> dict[str, Any]:
    """Return what AccessLink lists of every other kind at setup, as fixtures override them."""
    return {
        "activities": [load_fixture("activity")],
        "heart_rates": [load_fixture("continuous_heart_rate")],
        "physical_info": load_fixture("physical_info"),
        "cardio_loads": [load_fixture("cardio_load")],
        "spo2_tests": load_list("spo2"),
        "skin_temperatures": load_list("skin_temperature"),
        "body_temperatures": load_list("body_temperature"),
        "alertness_periods": load_list("alertness"),
        "bedtime_periods": load_list("circadian_bedtime"),
    }


def numbers(values: set[Any]) -> set[float]:
    """Return the texts of a set that read as numbers, as numbers."""
    found = set()
    for value in values:
        if isinstance(value, str):
            try:
                found.add(float(value))
            except ValueError:
                continue
    return found


def health_values(data: Any) -> set[Any]:
    """Return the values of a document that tell something about the user, not a count."""
    values = set()
    for leaf in leaves(data):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, int | float):
            # Counts in diagnostics are small whole numbers; a measurement rarely is.
            if leaf != int(leaf) or abs(leaf) >= 10:
                values.add(float(leaf))
        elif isinstance(leaf, str) and leaf not in ("unknown", "unavailable"):
            values.add(leaf)
    return values


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(tuple(every_kind()), [tuple(every_kind().values())])
async def test_diagnostics_hold_no_value_of_any_kind(
    hass: HomeAssistant, hass_client: Any, setup_integration: MockConfigEntry
) -> None:
    """With every kind shown, diagnostics keep the field names and counts, not one value."""
    shown = {
        state.entity_id: state.state
        for state in hass.states.async_all()
        if state.entity_id.startswith(("sensor.alice_runner", "event.alice_runner"))
    }
    assert all(value != "unknown" for key, value in shown.items() if key.startswith("sensor."))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)
    served = [*every_kind().values(), load_fixture("sleep"), load_fixture("nightly_recharge")]
    health = health_values(served) | health_values(list(shown.values()))
    # A sensor's state is text: 8823 steps read "8823", 72.4 kg "72.4".
    health |= numbers(health)
    found = health_values(diagnostics)
    found |= numbers(found)
    assert sorted(map(str, found & health)) == []
    # No date or time of any item either (the entry's own creation time is no health data).
    text = json.dumps(diagnostics["account"])
    assert [day for day in ("2026-11-2", "2026-11-3", "T0", "T1", "T2") if day in text] == []

    kinds = diagnostics["account"]["kinds"]
    assert [key for key, kind in kinds.items() if not kind["latest"]] == []
    assert set(kinds["activity"]["latest"]) >= {"date", "steps", "daily_activity"}
    assert set(kinds["physical_information"]["latest"]) >= {"weight", "vo2_max"}
    assert set(kinds["spo2"]["latest"]) >= {"blood_oxygen"}
    assert set(kinds["sleepwise_circadian_bedtime"]["latest"]) >= {"sleep_window_start"}
