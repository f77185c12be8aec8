"""Exercise files (FIT, TCX, GPX) saved into a folder Home Assistant may write to."""

from __future__ import annotations

import os
from pathlib import Path
import re
import uuid

from homeassistant.core import HomeAssistant

from .accesslink import AccessLinkUser, ExerciseFileFormat
from .exercise import ExerciseSummary

_UNSAFE = re.compile(r"[^a-z0-9]+")


class FolderNotAllowedError(Exception):
    """The folder is not one Home Assistant may write to."""


def media_folder(hass: HomeAssistant) -> Path:
    """Return Home Assistant's local media folder."""
    return Path(hass.config.media_dirs.get("local") or hass.config.path("media"))


def allowed_folder(hass: HomeAssistant, folder: str) -> Path:
    """Return folder as an absolute path Home Assistant may write to; does file I/O.

    Raises FolderNotAllowedError for a relative path or one outside allowlist_external_dirs.
    """
    path = Path(folder).expanduser()
    if not path.is_absolute() or not hass.config.is_allowed_path(str(path)):
        raise FolderNotAllowedError(folder)
    return path


def file_name(summary: ExerciseSummary, file_format: ExerciseFileFormat) -> str:
    """Return "<local start date>_<sport>_<id>.<ext>", the date where the exercise was done."""
    sport = _UNSAFE.sub("_", (summary.sport or "").lower()).strip("_") or "exercise"
    parts = [summary.start.date().isoformat()] if summary.start else []
    return "_".join([*parts, sport, summary.exercise_id]) + f".{file_format.value}"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write data as folder/name, replacing any earlier file at once; does file I/O."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    try:
        with temporary.open("xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


async def async_save_exercise_file(
    hass: HomeAssistant,
    user: AccessLinkUser,
    summary: ExerciseSummary,
    file_format: ExerciseFileFormat,
    folder: str | None,
) -> Path:
    """Download an exercise's file and write it into folder, or the media folder by default.

    The folder is checked before anything is downloaded.
    """
    if folder is None:
        target = media_folder(hass)
    else:
        target = await hass.async_add_executor_job(allowed_folder, hass, folder)
    data = await user.get_exercise_file(summary.exercise_id, file_format)
    return await hass.async_add_executor_job(
        write_atomically, target, file_name(summary, file_format), data
    )
