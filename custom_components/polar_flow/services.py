"""Actions of Polar Flow: an account's exercises, their files, and catching up now."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
import datetime as dt
from typing import TYPE_CHECKING, Any, Final, cast

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkNotFoundError,
    AccessLinkRateLimitError,
    AccessLinkUser,
    Exercise,
    ExerciseFileFormat,
    InvalidIdError,
    check_exercise_id,
)
from .const import DOMAIN
from .exercise import EXERCISE, ExerciseSummary
from .exercise_files import FolderNotAllowedError, async_save_exercise_file

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry

SERVICE_GET_EXERCISES: Final = "get_exercises"
SERVICE_GET_EXERCISE: Final = "get_exercise"
SERVICE_DOWNLOAD_EXERCISE: Final = "download_exercise"
SERVICE_SYNC: Final = "sync"

ATTR_START_DATE: Final = "start_date"
ATTR_END_DATE: Final = "end_date"
ATTR_EXERCISE_ID: Final = "exercise_id"
ATTR_SAMPLES: Final = "samples"
ATTR_ZONES: Final = "zones"
ATTR_ROUTE: Final = "route"
ATTR_FORMAT: Final = "format"
ATTR_FOLDER: Final = "folder"

# How far back AccessLink lists exercises; older ones are only in the account's history.
ACCESSLINK_DAYS: Final = 30

GET_EXERCISES_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_START_DATE): cv.date,
        probatio.Optional(ATTR_END_DATE): cv.date,
    }
)
GET_EXERCISE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_EXERCISE_ID): cv.string,
        probatio.Optional(ATTR_SAMPLES, default=False): cv.boolean,
        probatio.Optional(ATTR_ZONES, default=False): cv.boolean,
        probatio.Optional(ATTR_ROUTE, default=False): cv.boolean,
    }
)
DOWNLOAD_EXERCISE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_EXERCISE_ID): cv.string,
        probatio.Optional(ATTR_FORMAT, default=ExerciseFileFormat.FIT.value): probatio.All(
            cv.string, probatio.Lower, probatio.Coerce(ExerciseFileFormat)
        ),
        probatio.Optional(ATTR_FOLDER): cv.string,
    }
)
SYNC_SCHEMA: Final = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})


def _entry(call: ServiceCall) -> PolarFlowConfigEntry:
    """Return the loaded entry the call names; Home Assistant's translated error otherwise."""
    return cast(
        "PolarFlowConfigEntry",
        service.async_get_config_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]),
    )


def _exercise_id(call: ServiceCall) -> str:
    """Return the call's exercise id if it is a plain Polar id; nothing is sent otherwise."""
    exercise_id: str = call.data[ATTR_EXERCISE_ID]
    try:
        return check_exercise_id(exercise_id.strip())
    except InvalidIdError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_exercise_id",
            translation_placeholders={"exercise_id": exercise_id},
        ) from err


@contextmanager
def _accesslink_errors(
    entry: PolarFlowConfigEntry,
    not_found: str | None = None,
    placeholders: dict[str, str] | None = None,
) -> Iterator[None]:
    """Turn AccessLink's answers into translated errors; not_found names what can be missing."""
    if wait := entry.runtime_data.coordinator.fetcher.rate_limit_wait:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rate_limited_for",
            translation_placeholders={"minutes": str(max(1, round(wait / 60)))},
        )
    try:
        yield
    except AccessLinkNotFoundError as err:
        if not_found is None:
            raise _cannot_connect(err) from err
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=not_found,
            translation_placeholders=placeholders,
        ) from err
    except (AccessLinkAuthError, ConfigEntryAuthFailed) as err:
        entry.async_start_reauth(entry.runtime_data.coordinator.hass)
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="auth_failed") from err
    except AccessLinkConsentError as err:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="consents") from err
    except AccessLinkRateLimitError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rate_limited_for",
            translation_placeholders={"minutes": str(max(1, round(err.retry_after / 60)))},
        ) from err
    except AccessLinkError as err:
        raise _cannot_connect(err) from err


def _cannot_connect(err: AccessLinkError) -> HomeAssistantError:
    """Return the translated error of a failed AccessLink request."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="cannot_connect",
        translation_placeholders={"error": str(err)},
    )


def _user(entry: PolarFlowConfigEntry) -> AccessLinkUser:
    """Return the entry's AccessLink account."""
    return entry.runtime_data.coordinator.user


def _local_start(day: dt.date) -> str:
    """Return the start of a local day as the UTC text exercises are ordered by."""
    return dt_util.start_of_local_day(day).astimezone(dt.UTC).isoformat()


async def _async_get_exercises(call: ServiceCall) -> ServiceResponse:
    """Return the account's exercises of a date range: its history, and AccessLink's newest."""
    entry = _entry(call)
    first: dt.date | None = call.data.get(ATTR_START_DATE)
    last: dt.date | None = call.data.get(ATTR_END_DATE)
    if first is not None and last is not None and last < first:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="end_before_start",
            translation_placeholders={"start_date": str(first), "end_date": str(last)},
        )
    start = _local_start(first) if first is not None else None
    end = _local_start(last + dt.timedelta(days=1)) if last is not None else None
    history = entry.runtime_data.coordinator.history
    oldest_listed = dt_util.now().date() - dt.timedelta(days=ACCESSLINK_DAYS)
    if last is None or last >= oldest_listed:
        with _accesslink_errors(entry):
            listed = await _user(entry).list_exercises()
        history.async_add(
            EXERCISE,
            sorted(
                (ExerciseSummary.from_exercise(item) for item in listed),
                key=lambda item: item.order,
            ),
        )
    return {"exercises": [item.as_dict() for item in history.items(EXERCISE.key, start, end)]}


async def _async_get_exercise(call: ServiceCall) -> ServiceResponse:
    """Return one exercise from AccessLink, with samples, zones and route when asked."""
    entry = _entry(call)
    exercise_id = _exercise_id(call)
    with _accesslink_errors(entry, "exercise_not_found", {"exercise_id": exercise_id}):
        exercise = await _user(entry).get_exercise(
            exercise_id,
            samples=call.data[ATTR_SAMPLES],
            zones=call.data[ATTR_ZONES],
            route=call.data[ATTR_ROUTE],
        )
    return {"exercise": _exercise_details(exercise, call.data)}


def _exercise_details(exercise: Exercise, wanted: dict[str, Any]) -> dict[str, Any]:
    """Return an exercise's summary with its further details, JSON-safe."""
    details: dict[str, Any] = {
        **ExerciseSummary.from_exercise(exercise).as_dict(),
        "has_route": exercise.has_route,
        "running_index": exercise.running_index,
        "fat_percentage": exercise.fat_percentage,
        "carbohydrate_percentage": exercise.carbohydrate_percentage,
        "protein_percentage": exercise.protein_percentage,
        "training_load_pro": _json(asdict(exercise.training_load_pro))
        if exercise.training_load_pro
        else None,
    }
    if wanted[ATTR_ZONES]:
        details["heart_rate_zones"] = [_json(asdict(zone)) for zone in exercise.heart_rate_zones]
    if wanted[ATTR_SAMPLES]:
        details["samples"] = [
            {
                "sample_type": sample.sample_type,
                "recording_rate": sample.recording_rate,
                "values": list(sample.values()),
            }
            for sample in exercise.samples
        ]
    if wanted[ATTR_ROUTE]:
        details["route"] = [_json(asdict(point)) for point in exercise.route]
    return details


def _json(data: dict[str, Any]) -> dict[str, Any]:
    """Return a model's fields as JSON values: times as ISO text, durations in seconds."""
    return {name: _json_value(value) for name, value in data.items()}


def _json_value(value: Any) -> Any:
    """Return a field's value as JSON: a time as ISO text, a duration in seconds."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def _async_download_exercise(call: ServiceCall) -> ServiceResponse:
    """Save an exercise's FIT, TCX or GPX file into an allowed folder or the media folder."""
    entry = _entry(call)
    exercise_id = _exercise_id(call)
    file_format: ExerciseFileFormat = call.data[ATTR_FORMAT]
    folder: str | None = call.data.get(ATTR_FOLDER) or None
    user = _user(entry)
    summary = _known_exercise(entry, exercise_id)
    try:
        with _accesslink_errors(entry, "exercise_not_found", {"exercise_id": exercise_id}):
            if summary is None:
                summary = ExerciseSummary.from_exercise(await user.get_exercise(exercise_id))
        placeholders = {"exercise_id": exercise_id, "format": file_format.name}
        with _accesslink_errors(entry, "file_not_found", placeholders):
            path = await async_save_exercise_file(call.hass, user, summary, file_format, folder)
    except FolderNotAllowedError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="folder_not_allowed",
            translation_placeholders={"folder": str(folder)},
        ) from err
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="write_failed",
            translation_placeholders={"error": err.strerror or type(err).__name__},
        ) from err
    return {"path": str(path)}


def _known_exercise(entry: PolarFlowConfigEntry, exercise_id: str) -> ExerciseSummary | None:
    """Return an exercise the account's history has, which needs no request."""
    for item in entry.runtime_data.coordinator.history.items(EXERCISE.key):
        if isinstance(item, ExerciseSummary) and item.exercise_id == exercise_id:
            return item
    return None


async def _async_sync(call: ServiceCall) -> None:
    """Catch up now with AccessLink: one account, or every loaded one."""
    if ATTR_CONFIG_ENTRY_ID in call.data:
        entries = [_entry(call)]
    else:
        entries = [
            entry
            for entry in call.hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        ]
        if not entries:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_loaded_account"
            )
    failed: list[str] = []
    for entry in entries:
        coordinator = entry.runtime_data.coordinator
        await coordinator.async_request_refresh()
        if not coordinator.last_update_success:
            failed.append(entry.title)
    if failed:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sync_failed",
            translation_placeholders={"accounts": ", ".join(failed)},
        )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of Polar Flow."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_EXERCISES,
        _async_get_exercises,
        schema=GET_EXERCISES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_EXERCISE,
        _async_get_exercise,
        schema=GET_EXERCISE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DOWNLOAD_EXERCISE,
        _async_download_exercise,
        schema=DOWNLOAD_EXERCISE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_SYNC, _async_sync, schema=SYNC_SCHEMA)
