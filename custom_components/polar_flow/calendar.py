"""Calendars of an account's history: its exercises, and its nights with SleepWise's next window."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util import dt as dt_util

from . import PolarFlowConfigEntry
from .const import DOMAIN, LOGGER
from .coordinator import PolarFlowCoordinator
from .entity import PolarFlowEntity
from .exercise import ExerciseSummary, sport_key
from .kinds import DataKind, Summary
from .sleep import SleepSummary
from .sleepwise import BedtimeSummary

PARALLEL_UPDATES = 0

# An exercise without a duration still lasts a minute: an event of no length is never under
# way, and its start and end triggers would run at the same moment.
MIN_DURATION = timedelta(minutes=1)
# How long before a moment an item may have started and still last: a night, a long exercise.
REACH = timedelta(days=3)

# Seconds between two updates of the dashboards subscribed to a calendar, as Home Assistant's.
SUBSCRIBERS_COOLDOWN = 1.0

TRAINING = CalendarEntityDescription(key="training", translation_key="training")
SLEEP = CalendarEntityDescription(key="sleep", translation_key="sleep")

type Texts = Mapping[str, str]
# What the sleep calendar shows: the nights, and SleepWise's recommended windows.
type SleepItem = SleepSummary | BedtimeSummary


@dataclass(frozen=True, slots=True)
class Span[S: Summary]:
    """When an item of the history happened, before it is worded as an event."""

    start: datetime
    end: datetime
    item: S


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PolarFlowConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the training and sleep calendars of an account."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([TrainingCalendar(coordinator), SleepCalendar(coordinator)])


def duration_text(seconds: float) -> str:
    """Return a duration in whole minutes, with hours from an hour on: '47 min', '7 h 22 min'."""
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class PolarFlowCalendar[S: Summary](PolarFlowEntity, CalendarEntity):
    """A calendar of some kinds of an account's history, worded in Home Assistant's language."""

    entity_description: CalendarEntityDescription
    # The kinds of the history whose changes change the calendar.
    _kinds: frozenset[str]

    # The event under way or next, and its item, as of the last state write.
    _shown: CalendarEvent | None = None
    _shown_item: Summary | None = None
    _subscribers_update: Debouncer[None]

    async def async_added_to_hass(self) -> None:
        """Follow the history."""
        await super().async_added_to_hass()
        self._subscribers_update = Debouncer(
            self.hass,
            LOGGER,
            cooldown=SUBSCRIBERS_COOLDOWN,
            immediate=True,
            function=self.async_update_event_listeners,
        )
        self.async_on_remove(self._subscribers_update.async_shutdown)
        self.async_on_remove(
            self.coordinator.history.async_add_listener(self._async_history_changed)
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        """Keep the state: it follows the history and the clock, not the coordinator."""

    @callback
    def _async_history_changed(
        self, kind: DataKind[Any], changed: list[Summary], _dropped: list[Summary]
    ) -> None:
        """Show the current or next event again when a change of this calendar can alter it.

        Only an item that ends after now, or the shown event's own item, can: a burst of
        finished workouts then costs the calendar nothing.
        """
        if kind.key not in self._kinds:
            return
        now = dt_util.now()
        shown = self._shown_item
        if any(type(item) is type(shown) and item.key == shown.key for item in changed) or any(
            span.end > now for span in self._spans_of(kind.key, changed, now)
        ):
            self.async_write_ha_state()
        else:
            # Dashboards showing the calendar get the finished items all the same.
            self._subscribers_update.async_schedule_call()

    @callback
    def _async_write_ha_state(self) -> None:
        """Find the event under way or next once per write, not once per state attribute."""
        self._shown = self._current_or_next()
        super()._async_write_ha_state()

    @property
    def available(self) -> bool:
        """Stay available: the history is local, also while AccessLink is unreachable."""
        return True

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event under way, or else the next one, as of the last state write."""
        return self._shown

    def _current_or_next(self) -> CalendarEvent | None:
        """Return the event under way, or else the next one; remember its item."""
        now = dt_util.now()
        ahead = [
            span
            for kind_key in sorted(self._kinds)
            if (span := self._first_ahead(kind_key, now)) is not None
        ]
        if not ahead:
            self._shown_item = None
            return None
        texts = async_get_cached_translations(
            self.hass, self.hass.config.language, "entity", DOMAIN
        )
        span = min(ahead, key=lambda span: span.start)
        self._shown_item = span.item
        return self._event(span, texts)

    def _first_ahead(self, kind_key: str, now: datetime) -> Span[S] | None:
        """Return a kind's earliest span not over yet; the items after it are not looked at.

        A kind's spans come by their start, so the first one not over is the earliest ahead.
        """
        spans = self._spans_of(kind_key, self._recent(kind_key, now), now)
        return next((span for span in spans if span.end > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap a range, earliest first."""
        texts = await async_get_translations(hass, hass.config.language, "entity", {DOMAIN})
        spans = [
            span
            for span in self._spans(start_date, dt_util.now())
            if span.start < end_date and span.end > start_date
        ]
        return [self._event(span, texts) for span in sorted(spans, key=lambda span: span.start)]

    def _spans(self, since: datetime, now: datetime) -> Iterable[Span[S]]:
        """Return when each item of the calendar that may still last at since happened.

        Only the items of the last days before since are looked at, not two years of them.
        """
        for kind_key in sorted(self._kinds):
            yield from self._spans_of(kind_key, self._recent(kind_key, since), now)

    def _recent(self, kind_key: str, since: datetime) -> list[Summary]:
        """Return a kind's items from the last days before since on, by their start."""
        return self.coordinator.history.items(kind_key, (since - REACH).date().isoformat())

    @abstractmethod
    def _spans_of(
        self, kind_key: str, items: Iterable[Summary], now: datetime
    ) -> Iterable[Span[S]]:
        """Return when each of some items of a kind of this calendar happened, oldest first."""

    @abstractmethod
    def _event(self, span: Span[S], texts: Texts) -> CalendarEvent:
        """Return an item as an event, worded by texts."""

    def _label(self, texts: Texts, key: str) -> str:
        """Return a label of this calendar in Home Assistant's language, English as fallback."""
        calendar = self.entity_description.translation_key
        return texts.get(
            f"component.{DOMAIN}.entity.calendar.{calendar}.state_attributes.{key}.name", key
        )


class TrainingCalendar(PolarFlowCalendar[ExerciseSummary]):
    """One event per exercise, from its start for its duration."""

    _kinds = frozenset({"exercise"})

    def __init__(self, coordinator: PolarFlowCoordinator) -> None:
        """Initialise the training calendar."""
        super().__init__(coordinator, TRAINING)

    def _spans_of(
        self, kind_key: str, items: Iterable[Summary], now: datetime
    ) -> Iterable[Span[ExerciseSummary]]:
        """Return each exercise with a start; one without a duration lasts a minute."""
        for item in items:
            if isinstance(item, ExerciseSummary) and item.start is not None:
                duration = timedelta(seconds=item.duration or 0)
                yield Span(item.start, item.start + max(duration, MIN_DURATION), item)

    def _event(self, span: Span[ExerciseSummary], texts: Texts) -> CalendarEvent:
        """Return an exercise as '<sport> · <km> · <duration>', its figures described."""
        item = span.item
        title = [self._sport(item, texts)]
        if item.distance:
            title.append(f"{item.distance / 1000:.1f} km")
        if item.duration:
            title.append(duration_text(item.duration))
        lines = [
            f"{self._label(texts, key)}: {value}"
            for key, value in (
                ("heart_rate_average", _whole(item.heart_rate_average, "bpm")),
                ("heart_rate_maximum", _whole(item.heart_rate_maximum, "bpm")),
                ("calories", _whole(item.calories, "kcal")),
                ("training_load", _whole(item.training_load)),
            )
            if value is not None
        ]
        return CalendarEvent(
            start=span.start,
            end=span.end,
            summary=" · ".join(title),
            description="\n".join(lines) or None,
            uid=item.exercise_id,
        )

    @staticmethod
    def _sport(item: ExerciseSummary, texts: Texts) -> str:
        """Return the sport as the sport sensor names it; one it has no name for as Polar does."""
        key = sport_key(item.sport) or "other"
        if key == "other" and item.sport and item.sport.strip().lower() != "other":
            return item.sport.strip().replace("_", " ").capitalize()
        return texts.get(
            f"component.{DOMAIN}.entity.sensor.last_exercise_sport.state.{key}", item.sport or key
        )


class SleepCalendar(PolarFlowCalendar[SleepItem]):
    """One event per night, from falling asleep to waking up, and SleepWise's next window."""

    _kinds = frozenset({"sleep", "sleepwise_circadian_bedtime"})

    def __init__(self, coordinator: PolarFlowCoordinator) -> None:
        """Initialise the sleep calendar."""
        super().__init__(coordinator, SLEEP)

    def _spans_of(
        self, kind_key: str, items: Iterable[Summary], now: datetime
    ) -> Iterable[Span[SleepItem]]:
        """Return each night with its times; of the windows the newest not yet over."""
        if kind_key == "sleep":
            for item in items:
                if (
                    isinstance(item, SleepSummary)
                    and item.start
                    and item.end
                    and item.end > item.start
                ):
                    yield Span(item.start, item.end, item)
            return
        windows = [
            Span(item.sleep_window_start, item.sleep_window_end, item)
            for item in items
            if isinstance(item, BedtimeSummary)
            and item.sleep_window_start
            and item.sleep_window_end
            and item.sleep_window_start < item.sleep_window_end
            and item.sleep_window_end > now
        ]
        # Items come oldest first: a later prediction replaces an earlier one.
        if windows:
            yield windows[-1]

    def _event(self, span: Span[SleepItem], texts: Texts) -> CalendarEvent:
        """Return a night as 'Sleep · <time asleep>' with its score, or the recommended window."""
        item = span.item
        if isinstance(item, BedtimeSummary):
            return CalendarEvent(
                start=span.start,
                end=span.end,
                summary=self._label(texts, "sleep_window"),
                uid=f"sleep_window_{item.key}",
            )
        title = [self._label(texts, "night")]
        if item.sleep_time:
            title.append(duration_text(item.sleep_time))
        return CalendarEvent(
            start=span.start,
            end=span.end,
            summary=" · ".join(title),
            description=(
                f"{self._label(texts, 'sleep_score')}: {item.sleep_score}"
                if item.sleep_score is not None
                else None
            ),
            uid=item.date,
        )


def _whole(value: float | None, unit: str | None = None) -> str | None:
    """Return a value rounded to a whole number, with its unit; None for an unknown value."""
    if value is None:
        return None
    return f"{round(value)} {unit}" if unit else str(round(value))
