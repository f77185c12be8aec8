"""Data endpoints: exercises, sleep, recharge, activity, HR, cardio load, SleepWise, biosensing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .data import cardio_load_days, generate_physical, rng_for
from .errors import ApiError
from .exports import render_fit, render_gpx, render_tcx
from .keys import flag, sim_of
from .state import Exercise, Token

if TYPE_CHECKING:
    from .core import Simulator

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BIOSENSING_PATHS: dict[str, str | None] = {
    "spo2": "spo2",
    "skintemperature": "skintemp",
    "bodytemperature": "bodytemp",
    "skincontacts": None,
    "ecg": None,
}


def _auth(request: web.Request) -> tuple[Simulator, Token]:
    """Return the simulator and a token allowed to read data."""
    sim = sim_of(request)
    token = sim.bearer(request.headers.get("Authorization"))
    sim.data_access(token)
    return sim, token


def exercise_json(exercise: Exercise, request: web.Request) -> dict[str, Any]:
    """Return an exercise with the optional parts its query flags ask for."""
    out = dict(exercise.summary)
    if flag(request, "zones"):
        out["heart_rate_zones"] = exercise.zones
    if flag(request, "samples"):
        out["samples"] = exercise.samples
    if flag(request, "route"):
        out["route"] = exercise.route
    return out


async def list_exercises(request: web.Request) -> web.Response:
    """List the last 30 days of exercises uploaded after registration (bare array)."""
    sim, token = _auth(request)
    return web.json_response([exercise_json(e, request) for e in sim.visible_exercises(token)])


def _exercise(request: web.Request) -> Exercise:
    """Return the visible exercise of the path, else 404."""
    sim, token = _auth(request)
    wanted = request.match_info["exercise_id"]
    for exercise in sim.visible_exercises(token):
        if exercise.exercise_id == wanted:
            return exercise
    raise ApiError(404, "Exercise not found")


async def get_exercise(request: web.Request) -> web.Response:
    """Return one exercise."""
    return web.json_response(exercise_json(_exercise(request), request))


async def get_fit(request: web.Request) -> web.Response:
    """Return the FIT file."""
    return web.Response(
        body=render_fit(_exercise(request)), content_type="application/octet-stream"
    )


async def get_tcx(request: web.Request) -> web.Response:
    """Return the gzipped TCX document."""
    return web.Response(
        body=render_tcx(_exercise(request)), content_type="application/vnd.garmin.tcx+xml"
    )


async def get_gpx(request: web.Request) -> web.Response:
    """Return the GPX route (404 when the exercise has none)."""
    exercise = _exercise(request)
    if not exercise.route:
        raise ApiError(404, "Exercise has no route")
    return web.Response(body=render_gpx(exercise), content_type="application/gpx+xml")


def _date(value: str | None, name: str) -> date:
    """Parse a YYYY-MM-DD value; 400 otherwise."""
    try:
        return date.fromisoformat(value or "")
    except ValueError as err:
        raise ApiError(400, f"{name} must be a date in format YYYY-MM-DD") from err


def _range(
    request: web.Request, sim: Simulator, *, required: bool, default_days: int = 28
) -> tuple[date, date]:
    """Return a validated from/to range (at most 28 days, not older than 365 days)."""
    today = sim.clock.now_dt().date()
    raw_from, raw_to = request.query.get("from"), request.query.get("to")
    if required and (raw_from is None or raw_to is None):
        raise ApiError(400, "from and to are required")
    first = (
        _date(raw_from, "from") if raw_from is not None else today - timedelta(days=default_days)
    )
    last = _date(raw_to, "to") if raw_to is not None else today
    if last < first:
        raise ApiError(400, "to must not be before from")
    if (last - first).days > 28:
        raise ApiError(400, "The maximum range between from and to is 28 days")
    if first < today - timedelta(days=365):
        raise ApiError(400, "from cannot be older than 365 days")
    return first, last


def _path_date(request: web.Request, sim: Simulator) -> str:
    """Return the validated {date} path parameter."""
    day = _date(request.match_info["date"], "date")
    if day < sim.clock.now_dt().date() - timedelta(days=365):
        raise ApiError(400, "Date cannot be older than 365 days")
    return day.isoformat()


async def list_sleep(request: web.Request) -> web.Response:
    """List nights of the last 28 days."""
    sim, token = _auth(request)
    return web.json_response({"nights": [r.data for r in sim.visible_days(token, "sleep")]})


async def available_sleep(request: web.Request) -> web.Response:
    """List dates with sleep data and their start/end times."""
    sim, token = _auth(request)
    available = [
        {
            "date": r.date,
            "start_time": r.data.get("sleep_start_time"),
            "end_time": r.data.get("sleep_end_time"),
        }
        for r in sim.visible_days(token, "sleep")
    ]
    return web.json_response({"available": available})


def _dated(kind: str, missing: int) -> Handler:
    """Return a handler for GET .../{date} of a kind (missing: 404 or 204)."""

    async def handler(request: web.Request) -> web.Response:
        """Return the document of the date."""
        sim, token = _auth(request)
        doc = sim.visible_day(token, kind, _path_date(request, sim))
        if doc is None:
            if missing == 204:
                return web.Response(status=204)
            raise ApiError(404, "No data found for date")
        return web.json_response(doc)

    return handler


async def list_recharge(request: web.Request) -> web.Response:
    """List Nightly Recharge of the last 28 days."""
    sim, token = _auth(request)
    return web.json_response({"recharges": [r.data for r in sim.visible_days(token, "recharge")]})


def _activity_view(doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
    """Return an activity summary with only the sample parts asked for."""
    out = {k: v for k, v in doc.items() if k != "samples"}
    samples = doc.get("samples") or {}
    wanted = {
        key: samples[key]
        for key, param in (
            ("steps", "steps"),
            ("activity_zones", "activity_zones"),
            ("inactivity_stamps", "inactivity_stamps"),
        )
        if flag(request, param) and key in samples
    }
    if wanted:
        out["samples"] = {"date": samples.get("date"), **wanted}
    return out


async def list_activities(request: web.Request) -> web.Response:
    """List daily activities in a range (default last 28 days)."""
    sim, token = _auth(request)
    first, last = _range(request, sim, required=False)
    docs = [
        _activity_view(r.data, request)
        for r in sim.visible_days(token, "activity", days=365)
        if first.isoformat() <= r.date <= last.isoformat()
    ]
    return web.json_response(docs)


async def get_activity(request: web.Request) -> web.Response:
    """Return one day's activity (204 when none)."""
    sim, token = _auth(request)
    doc = sim.visible_day(token, "activity", _path_date(request, sim))
    if doc is None:
        return web.Response(status=204)
    return web.json_response(_activity_view(doc, request))


async def list_activity_samples(request: web.Request) -> web.Response:
    """List activity samples in a range."""
    sim, token = _auth(request)
    first, last = _range(request, sim, required=False)
    docs = [
        r.data.get("samples", {"date": r.date})
        for r in sim.visible_days(token, "activity", days=365)
        if first.isoformat() <= r.date <= last.isoformat()
    ]
    return web.json_response(docs)


async def get_activity_samples(request: web.Request) -> web.Response:
    """Return one day's activity samples (204 when none)."""
    sim, token = _auth(request)
    doc = sim.visible_day(token, "activity", _path_date(request, sim))
    if doc is None:
        return web.Response(status=204)
    return web.json_response(doc.get("samples", {}))


async def chr_range(request: web.Request) -> web.Response:
    """Return continuous heart rate days of a range."""
    sim, token = _auth(request)
    first, last = _range(request, sim, required=True)
    docs = [
        r.data
        for r in sim.visible_days(token, "chr", days=365)
        if first.isoformat() <= r.date <= last.isoformat()
    ]
    return web.json_response({"heart_rates": docs})


def _user_today(sim: Simulator, token: Token) -> date:
    """Return today's date in the user's own time zone (exercise dates are local)."""
    offset = sim.user(token.user_id).utc_offset_minutes
    return (sim.clock.now_dt() + timedelta(minutes=offset)).date()


def _cardio(sim: Simulator, token: Token, first: date, last: date) -> web.Response:
    """Return cardio load documents for every day of a range."""
    return web.json_response(cardio_load_days(sim.daily_loads(token), first, last))


async def cardio_recent(request: web.Request) -> web.Response:
    """Return cardio load for the last 28 days."""
    sim, token = _auth(request)
    today = _user_today(sim, token)
    return _cardio(sim, token, today - timedelta(days=27), today)


async def cardio_date(request: web.Request) -> web.Response:
    """Return cardio load for one date."""
    sim, token = _auth(request)
    day = date.fromisoformat(_path_date(request, sim))
    return _cardio(sim, token, day, day)


async def cardio_range(request: web.Request) -> web.Response:
    """Return cardio load for a date range."""
    sim, token = _auth(request)
    first, last = _range(request, sim, required=True)
    return _cardio(sim, token, first, last)


def _period(request: web.Request, name: str, maximum: int) -> int:
    """Return a bounded integer path parameter."""
    raw = request.match_info[name]
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"{name} must be an integer between 1 and {maximum}")
    return int(raw)


async def cardio_days(request: web.Request) -> web.Response:
    """Return cardio load for the last N days."""
    sim, token = _auth(request)
    days = _period(request, "days", 180)
    today = _user_today(sim, token)
    return _cardio(sim, token, today - timedelta(days=days - 1), today)


async def cardio_months(request: web.Request) -> web.Response:
    """Return cardio load for the last N months (30 days each)."""
    sim, token = _auth(request)
    months = _period(request, "months", 6)
    today = _user_today(sim, token)
    return _cardio(sim, token, today - timedelta(days=30 * months - 1), today)


async def physical_info(request: web.Request) -> web.Response:
    """Return the latest physical information (generated from the profile if none was recorded)."""
    sim, token = _auth(request)
    recs = [r for r in sim.state.days["physical"].values() if r.user_id == token.user_id]
    if recs:
        return web.json_response(max(recs, key=lambda r: r.created_at).data)
    user = sim.user(token.user_id)
    rng = rng_for(sim.config.seed, user.user_id, "physical", "profile")
    return web.json_response(generate_physical(rng, user, sim.clock.now()))


def _listed(docs: list[Any]) -> web.Response:
    """Return a JSON array, or 204 when it would be empty (as SleepWise and biosensing do)."""
    return web.json_response(docs) if docs else web.Response(status=204)


def _sleepwise(kind: str) -> Handler:
    """Return the handler of a SleepWise list (last 28 days, or /date?from&to)."""

    async def handler(request: web.Request) -> web.Response:
        """Return the periods of the range; 204 without data or a SleepWise device."""
        sim, token = _auth(request)
        if request.path.rstrip("/").endswith("/date"):
            first, last = _range(request, sim, required=True)
        else:
            last = _user_today(sim, token)
            first = last - timedelta(days=27)
        if not sim.user(token.user_id).sleepwise:
            return web.Response(status=204)
        return _listed(sim.visible_range(token, kind, first, last))

    return handler


def _biosensing(kind: str | None) -> Handler:
    """Return the handler of a biosensing list (None: a kind that is never generated)."""

    async def handler(request: web.Request) -> web.Response:
        """Return the documents of the range (default 28 days); 204 without data or sensors."""
        sim, token = _auth(request)
        first, last = _range(request, sim, required=False, default_days=27)
        if kind is None or not sim.user(token.user_id).biosensing:
            return web.Response(status=204)
        return _listed(sim.visible_range(token, kind, first, last))

    return handler


def setup(app: web.Application) -> None:
    """Add the routes (static paths before their {date} siblings)."""
    r = app.router
    r.add_get("/v3/exercises", list_exercises)
    r.add_get("/v3/exercises/{exercise_id}", get_exercise)
    r.add_get("/v3/exercises/{exercise_id}/fit", get_fit)
    r.add_get("/v3/exercises/{exercise_id}/tcx", get_tcx)
    r.add_get("/v3/exercises/{exercise_id}/gpx", get_gpx)
    r.add_get("/v3/users/physical-info", physical_info)
    r.add_get("/v3/users/sleep", list_sleep)
    r.add_get("/v3/users/sleep/available", available_sleep)
    r.add_get("/v3/users/sleep/{date}", _dated("sleep", 404))
    r.add_get("/v3/users/nightly-recharge", list_recharge)
    r.add_get("/v3/users/nightly-recharge/{date}", _dated("recharge", 404))
    r.add_get("/v3/users/activities", list_activities)
    r.add_get("/v3/users/activities/samples", list_activity_samples)
    r.add_get("/v3/users/activities/samples/{date}", get_activity_samples)
    r.add_get("/v3/users/activities/{date}", get_activity)
    r.add_get("/v3/users/continuous-heart-rate", chr_range)
    r.add_get("/v3/users/continuous-heart-rate/{date}", _dated("chr", 404))
    r.add_get("/v3/users/cardio-load", cardio_recent)
    r.add_get("/v3/users/cardio-load/date", cardio_range)
    r.add_get("/v3/users/cardio-load/period/days/{days}", cardio_days)
    r.add_get("/v3/users/cardio-load/period/months/{months}", cardio_months)
    r.add_get("/v3/users/cardio-load/{date}", cardio_date)
    for path, kind in (("alertness", "alertness"), ("circadian-bedtime", "bedtime")):
        r.add_get(f"/v3/users/sleepwise/{path}", _sleepwise(kind))
        r.add_get(f"/v3/users/sleepwise/{path}/date", _sleepwise(kind))
    for path, day_kind in BIOSENSING_PATHS.items():
        r.add_get(f"/v3/users/biosensing/{path}", _biosensing(day_kind))
    # Polar answers list paths with a trailing slash too; its example client uses them
    r.add_get("/v3/users/sleep/", list_sleep)
    r.add_get("/v3/users/nightly-recharge/", list_recharge)
    r.add_get("/v3/exercises/", list_exercises)
