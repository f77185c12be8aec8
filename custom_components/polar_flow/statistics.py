"""Long-term statistics: an account's daily history as the recorder's external statistics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Any, Final, TypedDict

from homeassistant.components.recorder.const import DOMAIN as RECORDER_DOMAIN
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.const import UnitOfEnergy, UnitOfLength, UnitOfMass, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import (
    DistanceConverter,
    DurationConverter,
    EnergyConverter,
    MassConverter,
)

from .activity import ACTIVITY, ActivitySummary
from .cardio_load import CARDIO_LOAD, CardioLoadSummary, exercise_day
from .const import DOMAIN, LOGGER
from .exercise import EXERCISE, ExerciseSummary
from .history import History
from .kind import DataKind, Summary
from .physical import PHYSICAL_INFORMATION, PhysicalSummary
from .recharge import NIGHTLY_RECHARGE, RechargeSummary
from .sleep import SLEEP, SleepSummary

if TYPE_CHECKING:
    from . import PolarFlowConfigEntry
    from .coordinator import PolarFlowCoordinator

STORAGE_VERSION = 1
# Seconds to gather the writes of a burst; unloading writes at once.
SAVE_DELAY = 10
HOUR: Final = timedelta(hours=1)
# Seconds during which further changes are gathered into one write: a burst of pushes or a
# catch-up rewrites each statistic once, not once per item.
WRITE_COOLDOWN = 2.0


def _dated(summary: Any) -> str | None:
    """Return the date of a dated kind's item, which is its key."""
    key: str = summary.key
    return key


def _changed_day(summary: PhysicalSummary) -> str | None:
    """Return the local date the physical information changed on."""
    return dt_util.as_local(summary.modified).date().isoformat() if summary.modified else None


def _scaled(value: float | None, divisor: float) -> float | None:
    """Return a value in a larger unit."""
    return None if value is None else value / divisor


@dataclass(frozen=True, kw_only=True, slots=True)
class PolarFlowStatistic[S: Summary]:
    """A daily statistic of one kind: a sum of the day's values, or their mean."""

    key: str
    kind: DataKind[S]
    # In the metadata after the entry's title; the recorder does not translate it.
    name: str
    value_fn: Callable[[S], float | None]
    # The local date an item counts for.
    day_fn: Callable[[S], str | None] = _dated
    has_sum: bool = False
    unit: str | None = None
    unit_class: str | None = None


STATISTICS: Final[tuple[PolarFlowStatistic[Any], ...]] = (
    PolarFlowStatistic[ActivitySummary](
        key="steps",
        kind=ACTIVITY,
        name="steps",
        unit="steps",
        has_sum=True,
        value_fn=lambda day: day.steps,
    ),
    PolarFlowStatistic[ActivitySummary](
        key="active_calories",
        kind=ACTIVITY,
        name="active calories",
        unit=UnitOfEnergy.KILO_CALORIE,
        unit_class=EnergyConverter.UNIT_CLASS,
        has_sum=True,
        value_fn=lambda day: day.active_calories,
    ),
    PolarFlowStatistic[SleepSummary](
        key="sleep_time",
        kind=SLEEP,
        name="sleep time",
        unit=UnitOfTime.HOURS,
        unit_class=DurationConverter.UNIT_CLASS,
        value_fn=lambda night: _scaled(night.sleep_time, 3600),
    ),
    PolarFlowStatistic[SleepSummary](
        key="sleep_score",
        kind=SLEEP,
        name="sleep score",
        value_fn=lambda night: night.sleep_score,
    ),
    # Milliseconds between beats, not a span of time anyone converts to hours: no unit class,
    # as the HRV sensor has no duration device class.
    PolarFlowStatistic[RechargeSummary](
        key="heart_rate_variability",
        kind=NIGHTLY_RECHARGE,
        name="HRV",
        unit=UnitOfTime.MILLISECONDS,
        value_fn=lambda night: night.heart_rate_variability,
    ),
    PolarFlowStatistic[RechargeSummary](
        key="ans_charge",
        kind=NIGHTLY_RECHARGE,
        name="ANS charge",
        value_fn=lambda night: night.ans_charge,
    ),
    # Measured every night; the physical information's resting heart rate is a setting.
    PolarFlowStatistic[RechargeSummary](
        key="resting_heart_rate",
        kind=NIGHTLY_RECHARGE,
        name="resting heart rate",
        unit="bpm",
        value_fn=lambda night: night.heart_rate_average,
    ),
    # The load of the day's training: a week's or a month's is the sum of its days'.
    PolarFlowStatistic[CardioLoadSummary](
        key="cardio_load",
        kind=CARDIO_LOAD,
        name="cardio load",
        has_sum=True,
        value_fn=lambda day: day.cardio_load,
    ),
    PolarFlowStatistic[PhysicalSummary](
        key="weight",
        kind=PHYSICAL_INFORMATION,
        name="weight",
        unit=UnitOfMass.KILOGRAMS,
        unit_class=MassConverter.UNIT_CLASS,
        day_fn=_changed_day,
        value_fn=lambda info: info.weight,
    ),
    PolarFlowStatistic[ExerciseSummary](
        key="exercise_time",
        kind=EXERCISE,
        name="exercise time",
        unit=UnitOfTime.MINUTES,
        unit_class=DurationConverter.UNIT_CLASS,
        has_sum=True,
        day_fn=exercise_day,
        value_fn=lambda exercise: _scaled(exercise.duration, 60),
    ),
    PolarFlowStatistic[ExerciseSummary](
        key="exercise_distance",
        kind=EXERCISE,
        name="exercise distance",
        unit=UnitOfLength.KILOMETERS,
        unit_class=DistanceConverter.UNIT_CLASS,
        has_sum=True,
        day_fn=exercise_day,
        value_fn=lambda exercise: _scaled(exercise.distance, 1000),
    ),
)


class StoredAnchor(TypedDict):
    """Where a sum starts: the first day still in the history, and the sum of the days before."""

    day: str
    sum: float


class StoredStatistics(TypedDict):
    """What is persisted per account: each sum's anchor."""

    anchors: dict[str, StoredAnchor]


def statistic_id(key: str, user_id: int) -> str:
    """Return the id of an account's statistic."""
    return f"{DOMAIN}:{key}_{user_id}"


def day_start(day: str) -> datetime:
    """Return when a local day's row starts: its midnight, or the next full hour in UTC."""
    start = dt_util.as_utc(dt_util.start_of_local_day(date.fromisoformat(day)))
    hour = start.replace(minute=0, second=0, microsecond=0)
    return hour if hour == start else hour + HOUR


def _local_day(start: float) -> str:
    """Return the local date of a row's start."""
    return dt_util.as_local(dt_util.utc_from_timestamp(start)).date().isoformat()


def _next_day(day: str) -> str:
    """Return the date after an ISO date."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _values_by_day(
    statistic: PolarFlowStatistic[Any], items: Iterable[Summary], start: str | None
) -> dict[str, list[float]]:
    """Return the values of each day from start on; a day with items but no value has none."""
    days: dict[str, list[float]] = {}
    for item in items:
        if (day := statistic.day_fn(item)) is None or (start is not None and day < start):
            continue
        values = days.setdefault(day, [])
        if (value := statistic.value_fn(item)) is not None:
            values.append(float(value))
    return days


class StatisticsImporter:
    """Write an account's daily statistics from its history, as the history changes."""

    def __init__(self, hass: HomeAssistant, entry: PolarFlowConfigEntry, history: History) -> None:
        """Initialise the statistics of one account."""
        self._hass = hass
        self._entry = entry
        self._history = history
        self._user_id = int(str(entry.unique_id))
        self._store = statistics_store(hass, self._user_id)
        self._anchors: dict[str, StoredAnchor] = {}
        # Per statistic, the first day written since the start ("" for every day).
        self._written_since: dict[str, str] = {}
        self._dirty = False
        # Per statistic, the first day to rewrite at the next write.
        self._pending: dict[str, str] = {}
        self._writes = Debouncer(
            hass,
            LOGGER,
            cooldown=WRITE_COOLDOWN,
            immediate=True,
            function=self._async_write_pending,
            background=True,
        )

    async def async_load(self) -> None:
        """Restore the anchors of the sums."""
        stored = await self._store.async_load()
        anchors = stored.get("anchors") if isinstance(stored, dict) else None
        if not isinstance(anchors, dict):
            return
        for key, anchor in anchors.items():
            try:
                self._anchors[key] = StoredAnchor(
                    day=date.fromisoformat(anchor["day"]).isoformat(), sum=float(anchor["sum"])
                )
            except KeyError, TypeError, ValueError:
                # Its sum starts again from the days the history keeps.
                LOGGER.warning("Ignored the damaged stored start of the %s statistic", key)

    async def async_flush(self) -> None:
        """Write what is pending and the anchors now, before the entry unloads."""
        self._writes.async_shutdown()
        self._async_write_pending()
        if self._dirty:
            await self._store.async_save(self._stored())

    async def async_catch_up(self) -> None:
        """Write each statistic from the recorder's last row on: every day when it has none."""
        for statistic in STATISTICS:
            last = await get_instance(self._hass).async_add_executor_job(
                get_last_statistics,
                self._hass,
                1,
                statistic_id(statistic.key, self._user_id),
                False,
                set(),
            )
            rows = last.get(statistic_id(statistic.key, self._user_id))
            since = _local_day(rows[0]["start"]) if rows else ""
            written = self._written_since.get(statistic.key)
            if written is None or written > since:
                self._async_write(statistic, since)

    @callback
    def async_on_history(
        self, kind: DataKind[Any], changed: list[Summary], dropped: list[Summary]
    ) -> None:
        """Rewrite each statistic of a kind from its earliest changed day on."""
        for statistic in STATISTICS:
            if statistic.kind is not kind:
                continue
            if dropped and statistic.has_sum:
                self._move_anchor(statistic, dropped)
            # Days before the anchor are in its sum already: an item coming back changes nothing.
            anchor = self._anchors.get(statistic.key)
            days = [
                day
                for item in changed
                if (day := statistic.day_fn(item)) is not None
                and (anchor is None or day >= anchor["day"])
            ]
            if days:
                since = min(days)
                self._pending[statistic.key] = min(since, self._pending.get(statistic.key, since))
        if self._pending:
            self._writes.async_schedule_call()

    @callback
    def _async_write_pending(self) -> None:
        """Rewrite each statistic that changed, from its earliest changed day on."""
        pending, self._pending = self._pending, {}
        for statistic in STATISTICS:
            if (since := pending.get(statistic.key)) is not None:
                self._async_write(statistic, since)

    def _move_anchor(self, statistic: PolarFlowStatistic[Any], dropped: list[Summary]) -> None:
        """Keep the forgotten days in the sum: start it after them, with their total."""
        anchor = self._anchors.get(statistic.key)
        first = anchor["day"] if anchor else None
        forgotten = [day for item in dropped if (day := statistic.day_fn(item)) is not None]
        if not forgotten or (first is not None and max(forgotten) < first):
            # Only items from before the anchor came back and went again: never counted.
            return
        new_first = _next_day(max(forgotten))
        # The forgotten items, and those the history keeps of the days now before the anchor.
        before = [
            *_values_by_day(statistic, dropped, first).values(),
            *(
                values
                for day, values in _values_by_day(
                    statistic, self._history.items(statistic.kind.key), first
                ).items()
                if day < new_first
            ),
        ]
        total = (anchor["sum"] if anchor else 0.0) + sum(sum(values) for values in before)
        self._anchors[statistic.key] = StoredAnchor(day=new_first, sum=total)
        self._dirty = True
        self._store.async_delay_save(self._stored, SAVE_DELAY)

    @callback
    def _async_write(self, statistic: PolarFlowStatistic[Any], since: str) -> None:
        """Write a statistic's rows from a local day on, the sums counted from the anchor."""
        anchor = self._anchors.get(statistic.key)
        days = _values_by_day(
            statistic, self._history.items(statistic.kind.key), anchor["day"] if anchor else None
        )
        if anchor is None and not any(days.values()):
            # No statistic for what the account does not measure.
            return
        total = anchor["sum"] if anchor else 0.0
        rows: list[StatisticData] = []
        for day in sorted(days):
            values = days[day]
            if statistic.has_sum:
                total += sum(values)
                if day >= since:
                    rows.append(StatisticData(start=day_start(day), state=sum(values), sum=total))
            elif values and day >= since:
                rows.append(
                    StatisticData(
                        start=day_start(day), mean=fmean(values), min=min(values), max=max(values)
                    )
                )
        if days and since <= min(days):
            since = ""
        self._written_since[statistic.key] = min(
            since, self._written_since.get(statistic.key, since)
        )
        if not rows:
            return
        LOGGER.debug("Writing %s rows of %s", len(rows), statistic.key)
        async_add_external_statistics(self._hass, self._metadata(statistic), rows)

    def _metadata(self, statistic: PolarFlowStatistic[Any]) -> StatisticMetaData:
        """Return a statistic's metadata."""
        return StatisticMetaData(
            mean_type=StatisticMeanType.NONE if statistic.has_sum else StatisticMeanType.ARITHMETIC,
            has_sum=statistic.has_sum,
            name=f"{self._entry.title} {statistic.name}",
            source=DOMAIN,
            statistic_id=statistic_id(statistic.key, self._user_id),
            unit_class=statistic.unit_class,
            unit_of_measurement=statistic.unit,
        )

    def _stored(self) -> StoredStatistics:
        """Return what is persisted."""
        return StoredStatistics(anchors=dict(self._anchors))


def statistics_store(hass: HomeAssistant, user_id: int) -> Store[StoredStatistics]:
    """Return the store of an account's sum anchors; private, as sums are health data."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.statistics_{user_id}", private=True)


async def async_setup_statistics(
    hass: HomeAssistant, entry: PolarFlowConfigEntry, coordinator: PolarFlowCoordinator
) -> None:
    """Write the account's statistics while the entry is loaded, if the recorder runs."""
    if RECORDER_DOMAIN not in hass.config.components:
        return
    importer = StatisticsImporter(hass, entry, coordinator.history)
    await importer.async_load()
    # Unloading stops the listener first, then writes the anchors.
    entry.async_on_unload(importer.async_flush)
    entry.async_on_unload(coordinator.history.async_add_listener(importer.async_on_history))
    entry.async_create_background_task(
        hass, importer.async_catch_up(), f"{DOMAIN} statistics catch-up"
    )


async def async_remove_statistics(hass: HomeAssistant, user_id: int) -> None:
    """Delete an account's statistics and their anchors."""
    if RECORDER_DOMAIN in hass.config.components:
        get_instance(hass).async_clear_statistics(
            [statistic_id(statistic.key, user_id) for statistic in STATISTICS]
        )
    await statistics_store(hass, user_id).async_remove()
