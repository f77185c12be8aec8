"""One Polar account: process notices, fetch, de-duplicate, catch up and remember what was seen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import random
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkNotFoundError,
    AccessLinkRateLimitError,
    Exercise,
    InvalidIdError,
    Notice,
)
from .const import DOMAIN, EVENT_EXERCISE, LOGGER, POLL_INTERVAL, RECONCILE_INTERVAL
from .fetch_limit import PendingFetches
from .models import ExerciseSummary

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry

STORAGE_VERSION = 1
SEEN_RETENTION = 45 * 24 * 3600
FETCH_ATTEMPTS = 4
FETCH_CONCURRENCY = 4
BACKOFF_INITIAL = 2.0
BACKOFF_MAX = 60.0
# Right after a notice AccessLink may not serve the exercise yet.
NOT_FOUND_ATTEMPTS = 3
NOT_FOUND_DELAY = 5.0
# A notice dropped because the client has too many fetches pending is caught up after this.
DROPPED_CATCH_UP_DELAY = 15.0

type ExerciseListener = Callable[[ExerciseSummary], None]


class StoredAccount(TypedDict):
    """What is persisted per Polar account."""

    seen: dict[str, float]
    latest: dict[str, Any] | None


@dataclass(slots=True)
class NoticeStats:
    """Counts shown in diagnostics."""

    received: int = 0
    published: int = 0
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    dropped: int = 0


class PolarFlowExerciseCoordinator(DataUpdateCoordinator[ExerciseSummary | None]):
    """Publish each exercise of one Polar account exactly once."""

    config_entry: PolarFlowConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PolarFlowConfigEntry,
        client: AccessLinkClient,
        user_id: int,
        device_id: str,
        *,
        pending_fetches: PendingFetches,
    ) -> None:
        """Initialise the coordinator of one account; pending_fetches is its client's bound."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {user_id}",
            update_interval=RECONCILE_INTERVAL,
        )
        self.client = client
        self.user_id = user_id
        self.device_id = device_id
        self.stats = NoticeStats()
        self._store = _account_store(hass, user_id)
        self._seen: dict[str, float] = {}
        self._baseline_taken = False
        self._in_flight: set[str] = set()
        self._exercise_listeners: list[ExerciseListener] = []
        self._not_before = 0.0
        self._auth_failed = False
        self._retry_unsub: CALLBACK_TYPE | None = None
        self._dirty = False
        self._fetch_slots = asyncio.Semaphore(FETCH_CONCURRENCY)
        self._pending_fetches = pending_fetches
        self._refusal_logged = False
        self._started = False
        self._held: list[Exercise] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._catch_up_job = HassJob(
            self._async_catch_up, f"{DOMAIN} catch-up", cancel_on_shutdown=True
        )

    @property
    def token(self) -> str:
        """Return the account's access token, or start reauthentication when it expired."""
        token: dict[str, Any] = self.config_entry.data["token"]
        if float(token.get("expires_at", 0)) <= _now():
            raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="token_expired")
        return str(token["access_token"])

    async def async_load(self) -> None:
        """Restore what was seen and the latest exercise from storage."""
        stored = await self._store.async_load()
        if not isinstance(stored, dict) or not isinstance(stored.get("seen"), dict):
            return
        self._baseline_taken = True
        self._seen = {
            str(key): float(value)
            for key, value in stored["seen"].items()
            if isinstance(value, int | float)
        }
        try:
            if latest := stored.get("latest"):
                self.data = ExerciseSummary.from_dict(latest)
        except KeyError, TypeError, ValueError:
            LOGGER.debug("Ignored an unreadable latest exercise in storage")

    @callback
    def async_cancel_timers(self) -> None:
        """Cancel a scheduled catch-up."""
        if self._retry_unsub:
            self._retry_unsub()
        self._retry_unsub = None

    @callback
    def async_add_exercise_listener(self, listener: ExerciseListener) -> CALLBACK_TYPE:
        """Call listener with every newly published exercise."""
        self._exercise_listeners.append(listener)
        return lambda: self._exercise_listeners.remove(listener)

    async def _async_update_data(self) -> ExerciseSummary | None:
        """Reconcile with AccessLink: publish every listed exercise not seen yet."""
        if (wait := self._not_before - _now()) > 0:
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="rate_limited", retry_after=wait
            )
        try:
            exercises = await self.client.list_exercises(self.token)
        except AccessLinkAuthError as err:
            self._auth_failed = True
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except AccessLinkConsentError as err:
            self._create_consent_issue()
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="consents") from err
        except AccessLinkRateLimitError as err:
            self._not_before = _now() + err.retry_after
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                retry_after=err.retry_after,
            ) from err
        except AccessLinkError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        ir.async_delete_issue(self.hass, DOMAIN, f"consents_{self.user_id}")
        self._auth_failed = False
        self._forget_old()
        ordered = sorted(exercises, key=_start_key)
        if not self._started:
            # Entities and automations are not listening yet: publish once Home Assistant runs.
            self._held = [exercise for exercise in ordered if exercise.id not in self._seen]
            if self._baseline_taken:
                return self.data
        if not self._baseline_taken:
            # The first setup only takes a baseline: no flood of old events.
            self._baseline_taken = True
            for exercise in ordered:
                self._remember(exercise.id)
            latest = ExerciseSummary.from_exercise(ordered[-1]) if ordered else self.data
            self._save(latest)
            return latest
        latest = self.data
        for exercise in ordered:
            if exercise.id not in self._seen and exercise.id not in self._in_flight:
                latest = self._publish(exercise, latest)
        return latest

    @callback
    def async_set_push(self, push_ok: bool) -> None:
        """Reconcile rarely while Polar pushes, and poll while it cannot."""
        interval = RECONCILE_INTERVAL if push_ok else POLL_INTERVAL
        if interval == self.update_interval:
            return
        self.update_interval = interval
        if self._listeners:
            self._schedule_refresh()

    @callback
    def async_catch_up(self) -> None:
        """Reconcile soon, in the background."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} catch-up"
        )

    @callback
    def async_start_publishing(self) -> None:
        """Publish what setup found missing, now that entities and automations listen."""
        self._started = True
        held, self._held = sorted(self._held, key=_start_key), []
        latest = self.data
        for exercise in held:
            if exercise.id not in self._seen and exercise.id not in self._in_flight:
                latest = self._publish(exercise, latest)
        if held:
            self.async_set_updated_data(latest)

    async def async_stop_processing(self) -> None:
        """Cancel notices being fetched, so nothing is published after the final save."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @callback
    def async_receive_notice(self, notice: Notice) -> None:
        """Take an EXERCISE notice from the webhook; the work continues in the background."""
        self.stats.received += 1
        exercise_id = notice.entity_id or ""
        if exercise_id in self._seen or exercise_id in self._in_flight:
            self.stats.duplicates += 1
            LOGGER.debug("Exercise %s of user %s already handled", exercise_id, self.user_id)
            return
        if not self._pending_fetches.try_reserve():
            self.stats.dropped += 1
            LOGGER.debug(
                "Too many exercises are being fetched; user %s catches up later", self.user_id
            )
            self._schedule_catch_up(DROPPED_CATCH_UP_DELAY)
            return
        self._in_flight.add(exercise_id)
        task = self.config_entry.async_create_background_task(
            self.hass, self._async_process_notice(notice), f"{DOMAIN} exercise {exercise_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A done callback also runs for a task cancelled before it started.
        task.add_done_callback(lambda _task: self._pending_fetches.release())

    async def _async_process_notice(self, notice: Notice) -> None:
        """Fetch the exercise a notice points to and publish it."""
        exercise_id = notice.entity_id or ""
        try:
            exercise = await self._async_fetch(notice)
        finally:
            self._in_flight.discard(exercise_id)
        if exercise is None or exercise.id in self._seen:
            return
        if not self._started:
            self._held.append(exercise)
            return
        # _publish writes the sensors itself. Not async_set_updated_data: that re-arms the
        # timer, and a steady stream of pushes would postpone the reconcile for ever.
        self._publish(exercise, self.data)

    async def _async_fetch(self, notice: Notice) -> Exercise | None:
        """Fetch with bounded exponential backoff; what still fails is left to catch-up."""
        not_found = 0
        for attempt in range(FETCH_ATTEMPTS):
            if self._auth_failed:
                return None
            if (wait := self._not_before - _now()) > 0:
                self._schedule_catch_up(wait)
                return None
            try:
                async with self._fetch_slots:
                    return await self.client.get_notice_exercise(self.token, notice)
            except InvalidIdError:
                self._refuse()
                return None
            except AccessLinkAuthError, ConfigEntryAuthFailed:
                self._auth_failed = True
                self.config_entry.async_start_reauth(self.hass)
                return None
            except AccessLinkNotFoundError:
                not_found += 1
                if not_found >= NOT_FOUND_ATTEMPTS:
                    LOGGER.debug("Exercise %s is not at AccessLink (yet)", notice.entity_id)
                    break
                delay = NOT_FOUND_DELAY
            except AccessLinkConsentError:
                self._create_consent_issue()
                return None
            except AccessLinkRateLimitError as err:
                self._not_before = _now() + max(err.retry_after, 1.0)
                continue
            except AccessLinkError as err:
                delay = min(BACKOFF_MAX, BACKOFF_INITIAL * 2**attempt) * (0.5 + random.random())  # noqa: S311
                LOGGER.debug("Fetching exercise %s failed (%s), retrying", notice.entity_id, err)
            if attempt + 1 < FETCH_ATTEMPTS:
                await asyncio.sleep(delay)
        self.stats.failed += 1
        self._schedule_catch_up(BACKOFF_MAX)
        return None

    @callback
    def _refuse(self) -> None:
        """Count a notice whose exercise id cannot be fetched; warn once per account."""
        self.stats.refused += 1
        if self._refusal_logged:
            LOGGER.debug("Ignored another unusable exercise id for user %s", self.user_id)
            return
        self._refusal_logged = True
        LOGGER.warning(
            "Ignored a notice for user %s: its exercise id is not a plain Polar id", self.user_id
        )

    @callback
    def _schedule_catch_up(self, delay: float) -> None:
        """Reconcile after delay seconds, once."""
        if self._retry_unsub is None:
            self._retry_unsub = async_call_later(self.hass, delay, self._catch_up_job)

    @callback
    def _async_catch_up(self, _now: Any) -> None:
        """Reconcile now."""
        self._retry_unsub = None
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} catch-up"
        )

    def _publish(
        self, exercise: Exercise, latest: ExerciseSummary | None
    ) -> ExerciseSummary | None:
        """Publish one new exercise and return the newest summary.

        The sensors show the newest exercise before anything announces it, so an automation
        triggered by the event and conditioned on a sensor sees the exercise that triggered it.
        """
        summary = ExerciseSummary.from_exercise(exercise)
        self._remember(exercise.id)
        self.stats.published += 1
        if latest is None or _newer(summary, latest):
            latest = summary
            self.data = summary
            self.async_update_listeners()
        self._save(latest)
        self.hass.bus.async_fire(
            EVENT_EXERCISE,
            {
                "device_id": self.device_id,
                "config_entry_id": self.config_entry.entry_id,
                "user_id": self.user_id,
                **summary.as_dict(),
            },
        )
        for listener in list(self._exercise_listeners):
            listener(summary)
        return latest

    def _remember(self, exercise_id: str) -> None:
        """Mark an exercise as seen."""
        self._seen[exercise_id] = _now()

    def _forget_old(self) -> None:
        """Forget ids that AccessLink no longer lists."""
        cutoff = _now() - SEEN_RETENTION
        self._seen = {key: seen_at for key, seen_at in self._seen.items() if seen_at >= cutoff}

    def _save(self, latest: ExerciseSummary | None) -> None:
        """Persist seen ids and the latest exercise, batched."""
        self._dirty = True
        self._store.async_delay_save(lambda: self._stored(latest), 1)

    def _stored(self, latest: ExerciseSummary | None) -> StoredAccount:
        """Return what is persisted."""
        self._dirty = False
        return StoredAccount(seen=dict(self._seen), latest=latest.as_dict() if latest else None)

    async def async_flush(self) -> None:
        """Write what is pending now, before the entry unloads."""
        if self._dirty:
            await self._store.async_save(self._stored(self.data))

    def _create_consent_issue(self) -> None:
        """Tell the user that Polar needs their consents."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"consents_{self.user_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="consents",
            translation_placeholders={"account_url": "https://account.polar.com"},
        )


async def async_remove_account_storage(hass: HomeAssistant, user_id: int) -> None:
    """Forget what was stored for one account."""
    await _account_store(hass, user_id).async_remove()


def _account_store(hass: HomeAssistant, user_id: int) -> Store[StoredAccount]:
    """Return the store of one account."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.account_{user_id}", private=True)


def _now() -> float:
    """Return Home Assistant's clock in seconds."""
    return dt_util.utcnow().timestamp()


def _start_key(exercise: Exercise) -> float:
    """Sort exercises by start, unknown starts first."""
    return exercise.start_time.timestamp() if exercise.start_time else 0.0


def _newer(summary: ExerciseSummary, than: ExerciseSummary) -> bool:
    """Return whether summary started at or after than."""
    if summary.start is None or than.start is None:
        return True
    return summary.start >= than.start
