"""One AccessLink account: the client bound to a user id and a source of fresh tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import datetime as dt

from .biosensing import BodyTemperaturePeriod, SkinTemperature, Spo2TestResult
from .client import AccessLinkClient, check_exercise_id
from .files import ExerciseFileFormat
from .models import (
    CardioLoad,
    ContinuousHeartRate,
    DailyActivity,
    Exercise,
    NightlyRecharge,
    PhysicalInfo,
    Sleep,
)
from .sleepwise import Alertness, CircadianBedtime, check_range

__all__ = ["AccessLinkUser"]


class AccessLinkUser:
    """Make one account's calls, asking access_token() before every request.

    The provider may check, refresh or refuse the token; whatever it raises reaches the caller.
    """

    def __init__(
        self,
        client: AccessLinkClient,
        user_id: int,
        access_token: Callable[[], Awaitable[str]],
    ) -> None:
        """Bind the client to the Polar user id and its token provider."""
        self._client = client
        self._user_id = user_id
        self._access_token = access_token

    def __repr__(self) -> str:
        """Name the account, never its token."""
        return f"{type(self).__name__}(user_id={self._user_id})"

    @property
    def user_id(self) -> int:
        """Return the Polar user id."""
        return self._user_id

    @property
    def client(self) -> AccessLinkClient:
        """Return the AccessLink client."""
        return self._client

    async def list_exercises(
        self, *, samples: bool = False, zones: bool = False, route: bool = False
    ) -> list[Exercise]:
        """Return the exercises of the last 30 days."""
        token = await self._access_token()
        return await self._client.list_exercises(token, samples=samples, zones=zones, route=route)

    async def get_exercise(
        self, exercise_id: str, *, samples: bool = False, zones: bool = False, route: bool = False
    ) -> Exercise:
        """Return one exercise; an id that is not one plain path segment is never sent."""
        check_exercise_id(exercise_id)
        token = await self._access_token()
        return await self._client.get_exercise(
            token, exercise_id, samples=samples, zones=zones, route=route
        )

    async def get_exercise_file(self, exercise_id: str, file_format: ExerciseFileFormat) -> bytes:
        """Return an exercise's FIT, TCX or GPX file; an unusable id is never sent."""
        check_exercise_id(exercise_id)
        token = await self._access_token()
        return await self._client.get_exercise_file(token, exercise_id, file_format)

    async def list_sleep(self) -> list[Sleep]:
        """Return the nights of the last 28 days."""
        return await self._client.list_sleep(await self._access_token())

    async def get_sleep(self, day: dt.date) -> Sleep:
        """Return the sleep whose result date is day."""
        return await self._client.get_sleep(await self._access_token(), day)

    async def list_nightly_recharge(self) -> list[NightlyRecharge]:
        """Return the Nightly Recharges of the last 28 days."""
        return await self._client.list_nightly_recharge(await self._access_token())

    async def get_nightly_recharge(self, day: dt.date) -> NightlyRecharge:
        """Return the Nightly Recharge of the night that ended on day."""
        return await self._client.get_nightly_recharge(await self._access_token(), day)

    async def delete(self) -> None:
        """De-register the user at AccessLink, which also revokes the token."""
        await self._client.delete_user(await self._access_token(), self._user_id)

    async def get_physical_info(self) -> PhysicalInfo:
        """Return the user's current physical information."""
        return await self._client.get_physical_info(await self._access_token())

    async def list_cardio_load(self) -> list[CardioLoad]:
        """Return the cardio loads of the last 28 days."""
        return await self._client.list_cardio_load(await self._access_token())

    async def list_cardio_load_days(self, days: int) -> list[CardioLoad]:
        """Return the cardio loads of the last days (1 to 180), today included."""
        return await self._client.list_cardio_load_days(await self._access_token(), days)

    async def get_cardio_load(self, day: dt.date) -> list[CardioLoad]:
        """Return the cardio load of day, as the list AccessLink answers with."""
        return await self._client.get_cardio_load(await self._access_token(), day)

    async def list_spo2(
        self, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[Spo2TestResult]:
        """Return the SpO2 tests from start to end (the last 28 days by default)."""
        return await self._client.list_spo2(await self._access_token(), start, end)

    async def list_skin_temperature(
        self, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[SkinTemperature]:
        """Return the nights' skin temperatures from start to end (the last 28 days by default)."""
        return await self._client.list_skin_temperature(await self._access_token(), start, end)

    async def list_body_temperature(
        self, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[BodyTemperaturePeriod]:
        """Return the body temperature periods from start to end (the last 28 days by default)."""
        return await self._client.list_body_temperature(await self._access_token(), start, end)

    async def list_activities(self) -> list[DailyActivity]:
        """Return the daily activities of the last 28 days."""
        return await self._client.list_activities(await self._access_token())

    async def list_activities_between(self, first: dt.date, last: dt.date) -> list[DailyActivity]:
        """Return the daily activities of the dates first to last (at most 28 days apart)."""
        return await self._client.list_activities_between(await self._access_token(), first, last)

    async def get_activity(self, day: dt.date) -> DailyActivity:
        """Return the daily activity of day."""
        return await self._client.get_activity(await self._access_token(), day)

    async def list_continuous_heart_rate(
        self, first: dt.date, last: dt.date
    ) -> list[ContinuousHeartRate]:
        """Return the continuous heart rate of the days first to last, both included."""
        return await self._client.list_continuous_heart_rate(
            await self._access_token(), first, last
        )

    async def get_continuous_heart_rate(self, day: dt.date) -> ContinuousHeartRate:
        """Return the continuous heart rate of day."""
        return await self._client.get_continuous_heart_rate(await self._access_token(), day)

    async def list_alertness(self) -> list[Alertness]:
        """Return the SleepWise alertness periods of the last 28 days."""
        return await self._client.list_alertness(await self._access_token())

    async def get_alertness(self, start: dt.date, end: dt.date) -> list[Alertness]:
        """Return the alertness periods of start..end; a range AccessLink refuses is never sent."""
        check_range(start, end)
        return await self._client.get_alertness(await self._access_token(), start, end)

    async def list_circadian_bedtime(self) -> list[CircadianBedtime]:
        """Return the SleepWise circadian bedtime periods of the last 28 days."""
        return await self._client.list_circadian_bedtime(await self._access_token())

    async def get_circadian_bedtime(self, start: dt.date, end: dt.date) -> list[CircadianBedtime]:
        """Return the circadian bedtime periods of start..end, checked before anything is sent."""
        check_range(start, end)
        return await self._client.get_circadian_bedtime(await self._access_token(), start, end)
