"""Actions: an account's exercises, one exercise, its files, and catching up now."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component

from custom_components.polar_flow.const import DOMAIN
from tests.fit import FIT_FILE_ID, FIT_SESSION, read_fit

from .conftest import (
    API,
    FIXTURES,
    USER_ID,
    exercise_json,
    make_entry,
    move_time,
    replace_route,
    requests_to,
)

NOW = "2026-11-27T12:00:00+00:00"
FIT = (FIXTURES / "exercise.fit").read_bytes()
# An exercise from September, long gone from AccessLink, kept in the account's history.
OLD_EXERCISE = {
    "exercise_id": "OLD1",
    "sport": "CYCLING",
    "detailed_sport": "ROAD_BIKING",
    "start": "2026-09-01T16:30:00+03:00",
    "duration": 3600.0,
    "distance": 30000.0,
    "calories": 700,
    "heart_rate_average": 130,
    "heart_rate_maximum": 160,
    "training_load": 80.0,
    "device": "Polar Vantage V3",
}


@pytest.fixture(autouse=True)
async def helsinki(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run in Finland on a November day."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone("Europe/Helsinki")


@pytest.fixture
def folders(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Allow Home Assistant to write under tmp_path, whose media folder is tmp_path/media."""
    hass.config.media_dirs = {"local": str(tmp_path / "media")}
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed"), str(tmp_path / "media")}
    (tmp_path / "allowed").mkdir()
    return tmp_path


@pytest.fixture
def history(hass_storage: dict[str, Any]) -> None:
    """Give the account a history with an exercise of September."""
    hass_storage[f"{DOMAIN}.history_{USER_ID}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.history_{USER_ID}",
        "data": {"kinds": {"exercise": {"OLD1": OLD_EXERCISE}}},
    }


async def _call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = True
) -> Any:
    """Call a Polar Flow action as an automation does and return its response."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


async def _on_exercise(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, exercise_id: str, **options: Any
) -> Any:
    """Call an action on one exercise of an account and return its response."""
    return await _call(
        hass, service, {"config_entry_id": entry.entry_id, "exercise_id": exercise_id, **options}
    )


def _ids(response: Any) -> list[str]:
    """Return the exercise ids of a get_exercises response, in its order."""
    return [exercise["exercise_id"] for exercise in response["exercises"]]


async def test_actions_are_registered_without_an_entry(hass: HomeAssistant) -> None:
    """The actions exist once the integration is set up, before any account is."""
    assert await async_setup_component(hass, DOMAIN, {})
    for service in ("get_exercises", "get_exercise", "download_exercise", "sync"):
        assert hass.services.has_service(DOMAIN, service)


@pytest.mark.usefixtures("history")
async def test_get_exercises_merges_history_and_accesslink(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    exercises: list[dict[str, Any]],
) -> None:
    """The history's exercises and AccessLink's newest come together, oldest first."""
    exercises.append(exercise_json("EX5", start="2026-11-26T18:00:00"))

    response = await _call(hass, "get_exercises", {"config_entry_id": setup_integration.entry_id})

    assert _ids(response) == ["OLD1", "EX0", "EX5"]
    assert response["exercises"][0] == OLD_EXERCISE
    assert response["exercises"][2]["start"] == "2026-11-26T18:00:00+02:00"
    assert response["exercises"][2]["sport"] == "RUNNING"


@pytest.mark.usefixtures("history")
async def test_get_exercises_by_local_dates(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    exercises: list[dict[str, Any]],
) -> None:
    """Dates are Home Assistant's local days, the end included; old ranges ask nothing."""
    # Just after midnight in Helsinki on the 26th, still the 25th in UTC.
    exercises.append(exercise_json("EX5", start="2026-11-26T00:30:00"))
    entry_id = setup_integration.entry_id

    only_26th = await _call(
        hass,
        "get_exercises",
        {"config_entry_id": entry_id, "start_date": "2026-11-26", "end_date": "2026-11-26"},
    )
    assert _ids(only_26th) == ["EX5"]

    listed_before = requests_to(polar_api, "GET", "/v3/exercises")
    september = await _call(
        hass,
        "get_exercises",
        {"config_entry_id": entry_id, "start_date": "2026-09-01", "end_date": "2026-09-30"},
    )
    assert _ids(september) == ["OLD1"]
    assert requests_to(polar_api, "GET", "/v3/exercises") == listed_before


async def test_get_exercises_end_before_start(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """A range that ends before it starts is refused with a translated error."""
    with pytest.raises(ServiceValidationError, match="2026-11-01 is before") as err:
        await _call(
            hass,
            "get_exercises",
            {
                "config_entry_id": setup_integration.entry_id,
                "start_date": "2026-11-20",
                "end_date": "2026-11-01",
            },
        )
    assert err.value.translation_key == "end_before_start"


async def test_get_exercise_with_samples_zones_and_route(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """One exercise comes from AccessLink with the details asked for."""
    detailed = exercise_json(
        "EX1",
        heart_rate_zones=[
            {"index": 1, "lower-limit": 110, "upper-limit": 130, "in-zone": "PT4M30S"}
        ],
        samples=[{"sample-type": "0", "recording-rate": 5, "data": "100,,102"}],
        route=[{"latitude": 60.17, "longitude": 24.94, "time": "PT1S", "satellites": 9}],
        training_load_pro={"date": "2026-11-27", "cardio-load": 95.5},
    )
    replace_route(polar_api, "GET", f"{API}/v3/exercises/EX1", json=detailed)

    response = await _on_exercise(
        hass, setup_integration, "get_exercise", "EX1", samples=True, zones=True, route=True
    )

    exercise = response["exercise"]
    assert exercise["exercise_id"] == "EX1"
    assert exercise["duration"] == 2530.0
    assert exercise["running_index"] == 51
    assert exercise["training_load_pro"]["date"] == "2026-11-27"
    assert exercise["training_load_pro"]["cardio_load"] == 95.5
    assert exercise["heart_rate_zones"] == [
        {"index": 1, "lower_limit": 110, "upper_limit": 130, "in_zone": 270.0}
    ]
    assert exercise["samples"] == [
        {"sample_type": "0", "recording_rate": 5, "values": [100.0, None, 102.0]}
    ]
    assert exercise["route"][0]["latitude"] == 60.17
    assert exercise["route"][0]["time"] == 1.0
    (_, url, *_) = polar_api.mock_calls[-1]
    assert dict(url.query) == {"samples": "true", "zones": "true", "route": "true"}


async def test_get_exercise_plain(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """Without details asked for, none are asked from AccessLink or answered."""
    response = await _on_exercise(hass, setup_integration, "get_exercise", "EX2")

    assert response["exercise"]["exercise_id"] == "EX2"
    assert "samples" not in response["exercise"]
    assert "route" not in response["exercise"]
    (_, url, *_) = polar_api.mock_calls[-1]
    assert not url.query


@pytest.mark.parametrize("service", ["get_exercise", "download_exercise"])
async def test_exercise_not_found(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
    service: str,
) -> None:
    """An exercise neither kept nor at AccessLink gets a translated error."""
    polar_api.get(f"{API}/v3/exercises/EX9", status=404)

    with pytest.raises(ServiceValidationError, match="no exercise EX9") as err:
        await _on_exercise(hass, setup_integration, service, "EX9")
    assert err.value.translation_key == "exercise_not_found"
    assert not (folders / "media").exists()


@pytest.mark.parametrize("service", ["get_exercise", "download_exercise"])
@pytest.mark.parametrize("exercise_id", ["../users/1", "a b", "x/fit"])
async def test_unusable_exercise_id_is_never_sent(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
    service: str,
    exercise_id: str,
) -> None:
    """An id that is not a plain Polar id is refused before any request."""
    polar_api.mock_calls.clear()

    with pytest.raises(ServiceValidationError, match="is not a Polar exercise ID") as err:
        await _on_exercise(hass, setup_integration, service, exercise_id)
    assert err.value.translation_key == "invalid_exercise_id"
    assert polar_api.mock_calls == []


@pytest.mark.parametrize(
    ("status", "error", "key"),
    [
        (401, HomeAssistantError, "auth_failed"),
        (403, HomeAssistantError, "consents"),
        (429, HomeAssistantError, "rate_limited_for"),
        (500, HomeAssistantError, "cannot_connect"),
    ],
)
async def test_accesslink_errors_are_translated(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    status: int,
    error: type[Exception],
    key: str,
) -> None:
    """AccessLink's refusals become translated errors; a refused sign-in asks to sign in again."""
    replace_route(
        polar_api,
        "GET",
        f"{API}/v3/exercises/EX1",
        status=status,
        json={"status": status, "message": "no"},
        headers={"Retry-After": "120"},
    )

    with pytest.raises(error) as err:
        await _on_exercise(hass, setup_integration, "get_exercise", "EX1")
    assert err.value.translation_key == key  # type: ignore[attr-defined]
    await hass.async_block_till_done()
    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert bool(reauth) is (status == 401)


async def test_unknown_and_unloaded_entries_are_refused(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """An account that does not exist or is not loaded gets Home Assistant's translated error."""
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_exercises", {"config_entry_id": "no-such-entry"})
    assert err.value.translation_key == "service_config_entry_not_found"

    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert setup_integration.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_exercises", {"config_entry_id": setup_integration.entry_id})
    assert err.value.translation_key == "service_config_entry_not_loaded"
    with pytest.raises(ServiceValidationError, match="No Polar Flow account is loaded"):
        await _call(hass, "sync", {}, response=False)


async def test_download_fit_into_an_allowed_folder(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
) -> None:
    """The FIT file of an exercise the history knows is saved, named by its local date."""
    polar_api.get(f"{API}/v3/exercises/EX0/fit", content=FIT)
    polar_api.mock_calls.clear()

    response = await _on_exercise(
        hass,
        setup_integration,
        "download_exercise",
        "EX0",
        folder=str(folders / "allowed" / "polar"),
    )

    path = Path(response["path"])
    assert path == folders / "allowed" / "polar" / "2026-11-20_running_EX0.fit"
    data = await hass.async_add_executor_job(path.read_bytes)
    assert data[:1] == b"\x0e"
    assert data[8:12] == b".FIT"
    assert read_fit(data).messages == (FIT_FILE_ID, FIT_SESSION)
    # Named from the history: only the file was asked for.
    assert [url.path for _, url, *_ in polar_api.mock_calls] == ["/v3/exercises/EX0/fit"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]


async def test_download_tcx_into_the_media_folder(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
) -> None:
    """Without a folder the file goes to the media folder; Polar's gzipped TCX is unpacked."""
    tcx = b'<?xml version="1.0"?><TrainingCenterDatabase/>'
    polar_api.get(f"{API}/v3/exercises/EX1/tcx", content=gzip.compress(tcx))

    response = await _on_exercise(hass, setup_integration, "download_exercise", "EX1", format="tcx")

    path = folders / "media" / "2026-11-27_running_EX1.tcx"
    assert response == {"path": str(path)}
    assert await hass.async_add_executor_job(path.read_bytes) == tcx


@pytest.mark.parametrize(
    "folder", ["/etc", "media", "{tmp}/allowed/../elsewhere", "{tmp}/allowed-not"]
)
async def test_download_refuses_other_folders(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
    folder: str,
) -> None:
    """A folder outside allowlist_external_dirs, or a relative one, is refused before asking."""
    polar_api.get(f"{API}/v3/exercises/EX0/fit", content=FIT)
    polar_api.mock_calls.clear()
    folder = folder.format(tmp=folders)

    with pytest.raises(ServiceValidationError, match="may not write to") as err:
        await _on_exercise(hass, setup_integration, "download_exercise", "EX0", folder=folder)
    assert err.value.translation_key == "folder_not_allowed"
    assert polar_api.mock_calls == []
    assert not (folders / "elsewhere").exists()


async def test_download_gpx_without_route(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
) -> None:
    """An exercise without a route has no GPX file: a translated error, nothing written."""
    polar_api.get(f"{API}/v3/exercises/EX0/gpx", status=404)

    with pytest.raises(ServiceValidationError, match="no GPX file of exercise EX0") as err:
        await _on_exercise(hass, setup_integration, "download_exercise", "EX0", format="gpx")
    assert err.value.translation_key == "file_not_found"
    assert not (folders / "media").exists()


async def test_download_write_failure(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
) -> None:
    """A folder that cannot be made gets a translated error."""
    polar_api.get(f"{API}/v3/exercises/EX0/fit", content=FIT)
    blocker = folders / "allowed" / "file"
    blocker.write_text("not a folder")

    with pytest.raises(HomeAssistantError, match="could not be written") as err:
        await _on_exercise(hass, setup_integration, "download_exercise", "EX0", folder=str(blocker))
    assert err.value.translation_key == "write_failed"


async def test_download_replaces_nothing_but_a_file(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    polar_api: AiohttpClientMocker,
    folders: Path,
) -> None:
    """A write that fails half way leaves no partial file behind."""
    polar_api.get(f"{API}/v3/exercises/EX0/fit", content=FIT)
    media = folders / "media"
    (media / "2026-11-20_running_EX0.fit").mkdir(parents=True)

    with pytest.raises(HomeAssistantError) as err:
        await _on_exercise(hass, setup_integration, "download_exercise", "EX0")
    assert err.value.translation_key == "write_failed"
    assert [path.name for path in media.iterdir()] == ["2026-11-20_running_EX0.fit"]


async def test_rate_limited_client_asks_nothing(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """While Polar's rate limit is used up, an action sends nothing and says how long to wait."""
    replace_route(
        polar_api, "GET", f"{API}/v3/exercises", status=429, headers={"Retry-After": "300"}
    )
    with pytest.raises(HomeAssistantError):
        await _call(hass, "sync", {}, response=False)
    polar_api.mock_calls.clear()

    with pytest.raises(HomeAssistantError, match="Try again in 5 min") as err:
        await _on_exercise(hass, setup_integration, "get_exercise", "EX1")
    assert err.value.translation_key == "rate_limited_for"
    assert polar_api.mock_calls == []


async def test_listing_not_found_is_a_failed_request(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """A listing AccessLink answers with not found is an AccessLink failure, not a missing item."""
    replace_route(polar_api, "GET", f"{API}/v3/exercises", status=404)

    with pytest.raises(HomeAssistantError, match="Could not reach Polar AccessLink") as err:
        await _call(hass, "get_exercises", {"config_entry_id": setup_integration.entry_id})
    assert err.value.translation_key == "cannot_connect"


async def test_sync_catches_up_now(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    exercises: list[dict[str, Any]],
    events: list[Event],
) -> None:
    """Sync publishes what AccessLink has new, for one account or all of them."""
    exercises.append(exercise_json("EX5", start="2026-11-27T10:00:00"))

    await _call(hass, "sync", {"config_entry_id": setup_integration.entry_id}, response=False)
    await hass.async_block_till_done()

    assert [event.data["exercise_id"] for event in events] == ["EX5"]

    # A sync right after another waits for the first one's cool-down.
    await move_time(hass, 11)
    exercises.append(exercise_json("EX6", start="2026-11-27T11:00:00"))
    await _call(hass, "sync", {}, response=False)
    await hass.async_block_till_done()
    assert [event.data["exercise_id"] for event in events] == ["EX5", "EX6"]


async def test_sync_failure_is_told(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """A catch-up that fails says which account it failed for."""
    replace_route(polar_api, "GET", f"{API}/v3/exercises", status=500)

    with pytest.raises(HomeAssistantError, match="failed for Alice Runner") as err:
        await _call(hass, "sync", {}, response=False)
    assert err.value.translation_key == "sync_failed"


async def test_sync_of_two_accounts(
    hass: HomeAssistant, setup_integration: MockConfigEntry, polar_api: AiohttpClientMocker
) -> None:
    """Sync without an account catches up every loaded one."""
    other = make_entry(87654321, "Bob Rider")
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    polar_api.mock_calls.clear()

    await _call(hass, "sync", {}, response=False)

    assert requests_to(polar_api, "GET", "/v3/exercises") == 2
