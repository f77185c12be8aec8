"""Fetching for one account: one request per item at once, turns from the client's scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
import random
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import UpdateFailed

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkNotFoundError,
    AccessLinkRateLimitError,
    AccessLinkUser,
    InvalidIdError,
)
from .const import DOMAIN, LOGGER
from .fetch_limit import PendingFetches
from .kinds import DataKind, Summary
from .scheduler import ClientScheduler, Lane, Turn

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry

FETCH_ATTEMPTS = 4
BACKOFF_INITIAL = 2.0
BACKOFF_MAX = 60.0
# Right after a notice AccessLink may not serve the item yet.
NOT_FOUND_ATTEMPTS = 3
NOT_FOUND_DELAY = 5.0


class Failure(StrEnum):
    """Why a fetch brought nothing."""

    # The notice's id cannot be fetched: it is not one plain path segment.
    REFUSED = "refused"
    # Still failing, or still not found, after the last attempt: left to the catch-up.
    FAILED = "failed"
    # Stopped for the whole account: sign-in, consents or the rate limit.
    HALTED = "halted"
    # AccessLink does not serve the item (yet).
    NOT_FOUND = "not_found"


type FetchResult = Any
type ResultCallback = Callable[[DataKind[Any], str, FetchResult], None]


class Fetcher:
    """Fetch and list one account's data, each request in its turn from the client's scheduler.

    Each item is fetched once at a time; "not found" is asked again later on a timer, holding
    the item's place in the client's bound meanwhile.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PolarFlowConfigEntry,
        user: AccessLinkUser,
        pending: PendingFetches,
        scheduler: ClientScheduler,
        *,
        on_result: ResultCallback,
        retry_later: Callable[[float, DataKind[Any]], None],
    ) -> None:
        """Fetch for user within its client's bound and turns; retry_later catches a kind up."""
        self._hass = hass
        self._entry = entry
        self._user = user
        self._pending = pending
        self._scheduler = scheduler
        self._on_result = on_result
        self._retry_later = retry_later
        self._in_flight: set[tuple[str, str]] = set()
        self._asking: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[tuple[str, str], CALLBACK_TYPE] = {}
        self._auth_failed = False

    def busy(self, kind: DataKind[Any], key: str) -> bool:
        """Return whether an item is being fetched, or waits to be asked again."""
        return (kind.key, key) in self._in_flight

    def asking(self, kind: DataKind[Any], key: str) -> bool:
        """Return whether a request for an item is out: its answer may predate a change."""
        return (kind.key, key) in self._asking

    @callback
    def async_start(self, kind: DataKind[Any], key: str, lane: Lane = Lane.PUSH) -> bool:
        """Fetch an item in the background; False when the client has no place left."""
        if not self._pending.try_reserve(lane):
            return False
        self._in_flight.add((kind.key, key))
        self._async_run(kind, key, lane, 1)
        return True

    @callback
    def _async_run(self, kind: DataKind[Any], key: str, lane: Lane, attempt: int) -> None:
        """Start one attempt of an item's fetch once the client's scheduler gives it a turn.

        Waiting for the turn is no task: only the fetches that may go now run.
        """
        item = (kind.key, key)
        self._timers.pop(item, None)
        if self._auth_failed or self.rate_limit_wait:
            # Nothing is asked: the attempt tells why at once.
            self._async_start_task(kind, key, lane, attempt, None)
            return
        granted = False

        @callback
        def _async_go(turn: Turn) -> None:
            nonlocal granted
            granted = True
            self._timers.pop(item, None)
            self._async_start_task(kind, key, lane, attempt, turn)

        cancel = self._scheduler.async_reserve(lane, self._user, _async_go)
        if not granted:
            self._timers[item] = cancel

    @callback
    def _async_start_task(
        self, kind: DataKind[Any], key: str, lane: Lane, attempt: int, turn: Turn | None
    ) -> None:
        """Run one attempt in the background."""
        task = self._entry.async_create_background_task(
            self._hass,
            self._async_attempt(kind, key, lane, attempt, turn),
            f"{DOMAIN} {kind.key} {key}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if turn is not None:
            task.add_done_callback(lambda _: turn.release())
        # Also for a task cancelled before it started: its place is given back.
        task.add_done_callback(lambda done: done.cancelled() and self._release(kind, key))

    async def _async_attempt(
        self, kind: DataKind[Any], key: str, lane: Lane, attempt: int, turn: Turn | None
    ) -> None:
        """Fetch, then hand on the result, or ask again later while it is not found."""
        try:
            result = await self._async_fetch(kind, key, lane, turn)
        except Exception as err:  # noqa: BLE001 - the item's place must be given back whatever failed
            # The type only: the message of an unexpected error may quote the answer.
            LOGGER.warning(
                "Fetching the %s %s failed unexpectedly (%s)", kind.key, key, type(err).__name__
            )
            self._retry_later(BACKOFF_MAX, kind)
            result = Failure.FAILED
        if result is Failure.NOT_FOUND:
            if attempt < (kind.not_found_attempts or NOT_FOUND_ATTEMPTS):
                self._async_ask_again(kind, key, lane, attempt + 1)
                return
            LOGGER.debug("The %s %s is not at AccessLink (yet)", kind.key, key)
            self._retry_later(BACKOFF_MAX, kind)
            result = Failure.FAILED
        self._release(kind, key)
        self._on_result(kind, key, result)

    @callback
    def _async_ask_again(self, kind: DataKind[Any], key: str, lane: Lane, attempt: int) -> None:
        """Fetch an item not found again after the kind's delay, keeping its place meanwhile."""

        @callback
        def _async_again(_now: datetime) -> None:
            self._async_run(kind, key, lane, attempt)

        delay = NOT_FOUND_DELAY if kind.not_found_delay is None else kind.not_found_delay
        job = HassJob(_async_again, f"{DOMAIN} {kind.key} again", cancel_on_shutdown=True)
        self._timers[(kind.key, key)] = async_call_later(self._hass, delay, job)

    @callback
    def _release(self, kind: DataKind[Any], key: str) -> None:
        """Give back the place of an item fetched or given up."""
        self._in_flight.discard((kind.key, key))
        self._pending.release()

    async def async_stop(self) -> None:
        """Cancel fetches under way and waiting, so nothing is published after the final save."""
        for item, cancel in list(self._timers.items()):
            cancel()
            self._in_flight.discard(item)
            self._pending.release()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def rate_limit_wait(self) -> float:
        """Return the seconds until AccessLink takes requests again."""
        return self._scheduler.rate_limit_wait

    async def _async_fetch[S: Summary](
        self, kind: DataKind[S], key: str, lane: Lane, turn: Turn | None
    ) -> Sequence[S] | Failure:
        """Fetch the items of one key with bounded exponential backoff on errors.

        The first request uses the turn given; each further one waits for its own.
        """
        for attempt in range(FETCH_ATTEMPTS):
            current, turn = turn, None
            halted = self._auth_failed
            if not halted and (wait := self.rate_limit_wait):
                self._retry_later(wait, kind)
                halted = True
            if halted:
                if current is not None:
                    current.release()
                return Failure.HALTED
            try:
                if current is None:
                    current = await self._scheduler.async_take(lane, self._user)
                with current:
                    self._asking.add((kind.key, key))
                    try:
                        return await kind.fetch(self._user, key)
                    finally:
                        self._asking.discard((kind.key, key))
            except InvalidIdError:
                return Failure.REFUSED
            except AccessLinkAuthError, ConfigEntryAuthFailed:
                self._auth_failed = True
                self._entry.async_start_reauth(self._hass)
                return Failure.HALTED
            except AccessLinkConsentError:
                create_consent_issue(self._hass, self._user.user_id)
                return Failure.HALTED
            except AccessLinkRateLimitError as err:
                self._scheduler.async_rate_limited(err.retry_after)
                continue
            except AccessLinkNotFoundError:
                return Failure.NOT_FOUND
            except AccessLinkError as err:
                LOGGER.debug("Fetching the %s %s failed (%s), retrying", kind.key, key, err)
                if attempt + 1 < FETCH_ATTEMPTS:
                    delay = min(BACKOFF_MAX, BACKOFF_INITIAL * 2**attempt)
                    await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311
        self._retry_later(BACKOFF_MAX, kind)
        return Failure.FAILED

    async def async_list[S: Summary](self, kind: DataKind[S]) -> Sequence[S]:
        """List a kind's recent items; failures become the coordinator's translated errors."""
        if wait := self.rate_limit_wait:
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="rate_limited", retry_after=wait
            )
        try:
            with await self._scheduler.async_take(Lane.CATCH_UP, self._user):
                items = await kind.list_recent(self._user)
        except AccessLinkAuthError as err:
            self._auth_failed = True
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except AccessLinkConsentError as err:
            create_consent_issue(self._hass, self._user.user_id)
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="consents") from err
        except AccessLinkRateLimitError as err:
            self._scheduler.async_rate_limited(err.retry_after)
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
        ir.async_delete_issue(self._hass, DOMAIN, consent_issue_id(self._user.user_id))
        self._auth_failed = False
        return items


def consent_issue_id(user_id: int) -> str:
    """Return the id of an account's consent repair issue."""
    return f"consents_{user_id}"


@callback
def create_consent_issue(hass: HomeAssistant, user_id: int) -> None:
    """Tell the user that Polar needs their consents."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        consent_issue_id(user_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="consents",
        translation_placeholders={"account_url": "https://account.polar.com"},
    )
