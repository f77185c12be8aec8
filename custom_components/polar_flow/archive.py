"""The exercise archive: every new exercise's FIT file saved into the folder the options name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed

from .accesslink import AccessLinkError, AccessLinkNotFoundError, ExerciseFileFormat
from .const import DOMAIN, LOGGER
from .exercise import EXERCISE, ExerciseSummary
from .exercise_files import FolderNotAllowedError, async_save_exercise_file
from .kinds import DataKind, Summary

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry
    from .coordinator import PolarFlowCoordinator

CONF_ARCHIVE_FOLDER: Final = "archive_folder"


class ExerciseArchive:
    """Save the FIT file of each exercise the account publishes into one folder.

    A file that could not be saved is tried again after the account's next successful
    catch-up, as long as Home Assistant runs; one AccessLink does not have is not.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PolarFlowConfigEntry,
        coordinator: PolarFlowCoordinator,
        folder: str,
    ) -> None:
        """Archive the coordinator's new exercises into folder."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._folder = folder
        self._failed: dict[str, ExerciseSummary] = {}

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start archiving; return what stops it."""
        stop_published = self._coordinator.publisher.async_add_listener(self._async_published)
        stop_updated = self._coordinator.async_add_listener(self._async_retry)

        @callback
        def _async_stop() -> None:
            stop_published()
            stop_updated()

        return _async_stop

    @callback
    def _async_published(self, kind: DataKind[Any], item: Summary) -> None:
        """Archive a newly published exercise."""
        if kind.key == EXERCISE.key and isinstance(item, ExerciseSummary):
            self._async_start_saving(item)

    @callback
    def _async_retry(self) -> None:
        """Try the files that failed again once the account reaches AccessLink again."""
        if self._coordinator.last_update_success:
            for item in list(self._failed.values()):
                self._async_start_saving(item)

    @callback
    def _async_start_saving(self, item: ExerciseSummary) -> None:
        """Save an exercise's file in the background."""
        self._failed.pop(item.exercise_id, None)
        self._entry.async_create_background_task(
            self._hass, self._async_save(item), f"{DOMAIN} archive {item.exercise_id}"
        )

    async def _async_save(self, item: ExerciseSummary) -> None:
        """Download and write one FIT file; log a failure without the exercise's data."""
        try:
            path = await async_save_exercise_file(
                self._hass, self._coordinator.user, item, ExerciseFileFormat.FIT, self._folder
            )
        except AccessLinkNotFoundError:
            LOGGER.warning(
                "Polar AccessLink has no FIT file of exercise %s; it is not archived",
                item.exercise_id,
            )
        except FolderNotAllowedError:
            LOGGER.warning(
                "Home Assistant may no longer write to the archive folder %s; exercise %s is"
                " archived once the folder is allowed again",
                self._folder,
                item.exercise_id,
            )
            self._failed[item.exercise_id] = item
        except (AccessLinkError, ConfigEntryAuthFailed, OSError) as err:
            LOGGER.warning(
                "Could not archive the FIT file of exercise %s (%s); trying again after the"
                " next catch-up",
                item.exercise_id,
                _reason(err),
            )
            self._failed[item.exercise_id] = item
        else:
            LOGGER.debug("Archived exercise %s as %s", item.exercise_id, path.name)


def _reason(err: Exception) -> str:
    """Return why saving failed, without paths or answers that could hold the exercise's data."""
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    return type(err).__name__
