"""Backfill: an account's history as far back as AccessLink serves it, politely, in the background.

Once per kind, and again after a downtime, a kind with a deep listing (DataKind.list_history)
is listed range by range into the history only: nothing old is published. One request at a
time, in the client scheduler's last lane: after every other request, within the 429 wait,
half the short rate window and the background share of the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkError,
    AccessLinkRateLimitError,
    AccessLinkUser,
)
from .const import DOMAIN, LOGGER
from .history import Coverage, History
from .kind import HistoryListing
from .kinds import DataKind
from .scheduler import ClientScheduler, Lane, Turn

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry

# Seconds after Home Assistant started: what was missed meanwhile is fetched first.
START_DELAY = 60.0
# Seconds between two requests of the backfill.
PAUSE = 5.0
# Seconds before a failed request is tried again, doubled up to the longest.
RETRY_DELAY = 300.0
RETRY_DELAY_MAX = 6 * 3600.0
# A kind not listed for this long has a gap its recent listing may not cover.
GAP = timedelta(days=1)


@dataclass(slots=True)
class KindProgress:
    """What the backfill did for one kind since the entry was set up."""

    requests: int = 0
    items: int = 0


class Backfill:
    """Fill an account's history from AccessLink's deep listings, one request at a time."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PolarFlowConfigEntry,
        user: AccessLinkUser,
        *,
        scheduler: ClientScheduler,
        history: History,
        kinds: Mapping[str, DataKind[Any]],
    ) -> None:
        """Backfill user's history, each request in its turn from the client's scheduler."""
        self._hass = hass
        self._entry = entry
        self._user = user
        self._scheduler = scheduler
        self._history = history
        self._kinds = {key: kind for key, kind in kinds.items() if kind.list_history}
        self._listings: dict[str, HistoryListing[Any]] = {
            key: kind.list_history for key, kind in kinds.items() if kind.list_history
        }
        self.progress = {key: KindProgress() for key in self._kinds}
        self.failures = 0
        self._unsub: CALLBACK_TYPE | None = None
        self._cancel_turn: CALLBACK_TYPE | None = None
        self._started = False
        self._running = False
        self._stopped = False
        self._job = HassJob(self._async_step, f"{DOMAIN} backfill", cancel_on_shutdown=True)

    @callback
    def async_listed(self, kind: DataKind[Any]) -> None:
        """Note a listing of a kind's recent items; after a long pause, fill the gap."""
        if kind.key not in self._kinds:
            return
        coverage = self._history.coverage(kind.key)
        listed_at = coverage.get("listed_at")
        now = dt_util.utcnow()
        coverage["listed_at"] = now.timestamp()
        if listed_at is not None and "backfilled_at" in coverage:
            last = dt_util.utc_from_timestamp(listed_at)
            if now - last > GAP:
                # From the day before the last listing, in case it ran before that day's sync.
                since = dt_util.as_local(last).date() - timedelta(days=1)
                missing = coverage.get("missing_from")
                if missing is None or since.isoformat() < missing:
                    coverage["missing_from"] = since.isoformat()
                LOGGER.debug(
                    "Polar user %s had no %s listing for a while", self._user.user_id, kind.key
                )
        self._history.async_set_coverage(kind.key, coverage)
        if self._started and not self._running and "missing_from" in coverage:
            self._async_schedule(PAUSE)

    @callback
    def async_start(self) -> None:
        """Start backfilling in the background, kinds never backfilled from their reach."""
        self._started = True
        today = _today()
        for key, listing in self._listings.items():
            coverage = self._history.coverage(key)
            if "backfilled_at" in coverage or "missing_from" in coverage:
                continue
            oldest = today - listing.reach + timedelta(days=1)
            coverage["missing_from"] = oldest.isoformat()
            self._history.async_set_coverage(key, coverage)
        if self._due():
            self._async_schedule(START_DELAY)

    @callback
    def async_stop(self) -> None:
        """Stop: nothing more is asked; what is due stays due for the next start."""
        self._stopped = True
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        if self._cancel_turn is not None:
            self._cancel_turn()
            self._cancel_turn = None

    def diagnostics(self) -> dict[str, Any]:
        """Return the progress per kind: done or pending, requests and items; no dates."""
        return {
            "running": self._running,
            "failures": self.failures,
            "kinds": {
                key: {"state": self._state(key), **asdict(progress)}
                for key, progress in self.progress.items()
            },
        }

    def _state(self, kind_key: str) -> str:
        """Return whether a kind's history is filled in (done) or not yet (pending)."""
        coverage = self._history.coverage(kind_key)
        if "missing_from" in coverage or "backfilled_at" not in coverage:
            return "pending"
        return "done"

    def _due(self) -> list[str]:
        """Return the kinds a deep listing is due for, in their declared order."""
        return [key for key in self._kinds if "missing_from" in self._history.coverage(key)]

    @callback
    def _async_schedule(self, delay: float) -> None:
        """Take the next step after delay seconds, unless a step is already scheduled or waits."""
        if self._stopped or self._unsub is not None or self._cancel_turn is not None:
            return
        self._unsub = async_call_later(self._hass, delay, self._job)

    @callback
    def _async_step(self, _now: datetime) -> None:
        """Ask for the next range when AccessLink and the client's fetches allow."""
        self._unsub = None
        due = self._due()
        if not due:
            if self._running:
                self._async_finish()
            return
        if any(self._entry.async_get_active_flows(self._hass, {SOURCE_REAUTH})):
            # Nothing is asked with a sign-in Polar refused; signing in again sets up anew.
            self._running = False
            return
        if wait := self._scheduler.rate_limit_wait:
            self._async_schedule(wait)
            return
        if not self._running:
            self._running = True
            LOGGER.info(
                "Filling in the history of Polar user %s: %d kinds", self._user.user_id, len(due)
            )
        kind = self._kinds[due[0]]
        granted = False

        @callback
        def _async_go(turn: Turn) -> None:
            """Ask for the range now that the client's scheduler gave the turn."""
            nonlocal granted
            granted = True
            self._cancel_turn = None
            task = self._entry.async_create_background_task(
                self._hass, self._async_list(kind, turn), f"{DOMAIN} backfill {kind.key}"
            )
            task.add_done_callback(lambda _: turn.release())

        cancel = self._scheduler.async_reserve(Lane.BACKFILL, self._user, _async_go)
        if not granted:
            self._cancel_turn = cancel

    async def _async_list(self, kind: DataKind[Any], turn: Turn) -> None:
        """List one range of a kind into the history, then go on, or try again later."""
        listing = self._listings[kind.key]
        coverage = self._history.coverage(kind.key)
        today = _today()
        first = max(
            date.fromisoformat(coverage["missing_from"]),
            today - listing.reach + timedelta(days=1),
        )
        last = min(first + listing.span - timedelta(days=1), today)
        progress = self.progress[kind.key]
        progress.requests += 1
        try:
            with turn:
                items = await listing.fetch(self._user, first, last)
        except AccessLinkRateLimitError as err:
            self._scheduler.async_rate_limited(err.retry_after)
            self._async_schedule(PAUSE)
            return
        except AccessLinkAuthError, ConfigEntryAuthFailed:
            LOGGER.debug("Backfill of Polar user %s stopped: not signed in", self._user.user_id)
            self._running = False
            self._entry.async_start_reauth(self._hass)
            return
        except AccessLinkError as err:
            self.failures += 1
            delay = min(RETRY_DELAY * 2 ** (self.failures - 1), RETRY_DELAY_MAX)
            LOGGER.debug("Backfill of the %s failed (%s); again in %.0f s", kind.key, err, delay)
            self._async_schedule(delay)
            return
        self.failures = 0
        progress.items += len(self._history.async_add(kind, items))
        self._advance(kind, coverage, last, today)
        self._async_schedule(PAUSE)

    @callback
    def _async_finish(self) -> None:
        """Tell that the history is filled in."""
        self._running = False
        LOGGER.info(
            "Filled in the history of Polar user %s: %d items from %d requests",
            self._user.user_id,
            sum(done.items for done in self.progress.values()),
            sum(done.requests for done in self.progress.values()),
        )

    def _advance(self, kind: DataKind[Any], coverage: Coverage, last: date, today: date) -> None:
        """Record a range as listed; the kind is done once it reached today."""
        if last < today:
            coverage["missing_from"] = (last + timedelta(days=1)).isoformat()
        else:
            coverage.pop("missing_from", None)
            coverage["backfilled_at"] = dt_util.utcnow().timestamp()
        self._history.async_set_coverage(kind.key, coverage)


def _today() -> date:
    """Return today in Home Assistant's time zone, as AccessLink dates the user's days."""
    return dt_util.now().date()
