"""Exercise files: FIT, TCX and GPX downloads, against the simulator and a stand-in server."""

from __future__ import annotations

from collections.abc import AsyncIterator
import gzip

import aiohttp
import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkNotFoundError,
    AccessLinkResponseError,
    AccessLinkUser,
    ExerciseFileFormat,
    InvalidIdError,
)
from tests.fit import FIT_FILE_ID, FIT_SESSION, read_fit
from tests.sim.util import Sim, World, running_sim

from .conftest import TOKEN, FakeAccessLink


@pytest.fixture
async def sim(session: aiohttp.ClientSession) -> AsyncIterator[Sim]:
    """Start the AccessLink simulator on a free loopback port."""
    async with running_sim(session) as sim:
        yield sim


async def _exercise(sim: Sim, world: World, sport: str) -> str:
    """Record an exercise of a sport at the simulator and return its id."""
    made = await sim.ctl(
        "POST", f"/_sim/users/{world.user_id}/exercises", {"sport": sport, "push": False}
    )
    exercise_id: str = made["exercise"]["id"]
    return exercise_id


async def _user(sim: Sim, session: aiohttp.ClientSession) -> tuple[World, AccessLinkUser]:
    """Return a registered simulator user and the account calls for it."""
    world = await sim.world()

    async def token() -> str:
        return world.token

    client = AccessLinkClient(session, api_url=sim.url, request_timeout=5)
    return world, AccessLinkUser(client, world.user_id, token)


async def test_fit_parses(sim: Sim, session: aiohttp.ClientSession) -> None:
    """The FIT file is a valid FIT activity: header, header CRC, records and file CRC."""
    world, user = await _user(sim, session)
    run = await _exercise(sim, world, "RUNNING")

    fit = await user.get_exercise_file(run, ExerciseFileFormat.FIT)

    assert fit[0] == 14
    parsed = read_fit(fit)
    assert parsed.protocol >> 4 == 2
    assert parsed.messages == (FIT_FILE_ID, FIT_SESSION)


async def test_tcx_is_decompressed(sim: Sim, session: aiohttp.ClientSession) -> None:
    """Polar gzips TCX: the client returns the XML document itself."""
    world, user = await _user(sim, session)
    run = await _exercise(sim, world, "RUNNING")

    tcx = await user.get_exercise_file(run, ExerciseFileFormat.TCX)

    assert tcx.startswith(b"<?xml")
    assert b'<Activity Sport="Running">' in tcx


async def test_gpx_of_a_route(sim: Sim, session: aiohttp.ClientSession) -> None:
    """An exercise with a route has a GPX track; one without has none."""
    world, user = await _user(sim, session)
    run = await _exercise(sim, world, "RUNNING")
    gym = await _exercise(sim, world, "STRENGTH_TRAINING")

    gpx = await user.get_exercise_file(run, ExerciseFileFormat.GPX)

    assert gpx.startswith(b"<?xml")
    assert b"<trkpt" in gpx
    with pytest.raises(AccessLinkNotFoundError):
        await user.get_exercise_file(gym, ExerciseFileFormat.GPX)


async def test_unknown_exercise_is_not_found(sim: Sim, session: aiohttp.ClientSession) -> None:
    """An exercise AccessLink does not have is not found, in every format."""
    _, user = await _user(sim, session)
    for file_format in ExerciseFileFormat:
        with pytest.raises(AccessLinkNotFoundError):
            await user.get_exercise_file("nope", file_format)


@pytest.mark.parametrize("exercise_id", ["", "../users", "a/b", "x" * 129, "%2e%2e"])
async def test_unusable_id_is_never_sent(
    server: FakeAccessLink, client: AccessLinkClient, exercise_id: str
) -> None:
    """An id that is not one plain path segment is refused before any request."""
    with pytest.raises(InvalidIdError):
        await client.get_exercise_file(TOKEN, exercise_id, ExerciseFileFormat.FIT)
    assert server.requests == []


async def test_request_asks_for_any_content(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """The download carries the user's token and accepts a file, not only JSON."""
    server.reply("GET", "/v3/exercises/EX1/fit", body=b"fit-bytes")

    assert await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.FIT) == b"fit-bytes"

    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert server.last.headers["Accept"] == "*/*"


async def test_no_content_is_not_found(server: FakeAccessLink, client: AccessLinkClient) -> None:
    """An empty answer (204: no data) is no file."""
    server.reply("GET", "/v3/exercises/EX1/gpx", 204)

    with pytest.raises(AccessLinkNotFoundError):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.GPX)


async def test_errors_keep_their_meaning(server: FakeAccessLink, client: AccessLinkClient) -> None:
    """A refusal for missing consents is told apart from a missing file."""
    server.reply("GET", "/v3/exercises/EX1/fit", 403, json_body={"message": "consents"})

    with pytest.raises(AccessLinkConsentError):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.FIT)


async def test_plain_tcx_is_kept(server: FakeAccessLink, client: AccessLinkClient) -> None:
    """A TCX served without gzip (or already decoded by HTTP) is returned as it is."""
    server.reply("GET", "/v3/exercises/EX1/tcx", body=b"<?xml version='1.0'?><x/>")

    assert await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.TCX) == (
        b"<?xml version='1.0'?><x/>"
    )


async def test_file_size_is_bounded(server: FakeAccessLink, client: AccessLinkClient) -> None:
    """A file larger than the bound is refused, also once decompressed."""
    server.reply("GET", "/v3/exercises/EX1/fit", body=b"x" * 2000)
    server.reply("GET", "/v3/exercises/EX1/tcx", body=gzip.compress(b"<" * 100_000))

    with pytest.raises(AccessLinkResponseError, match="larger than"):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.FIT, max_bytes=1000)
    with pytest.raises(AccessLinkResponseError, match="larger than"):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.TCX, max_bytes=1000)


async def test_broken_gzip_is_a_response_error(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """A TCX that claims gzip but is not is an unusable answer."""
    server.reply("GET", "/v3/exercises/EX1/tcx", body=b"\x1f\x8b\x08broken")

    with pytest.raises(AccessLinkResponseError):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.TCX)


async def test_truncated_gzip_is_a_response_error(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """A TCX whose gzip stream ends early is an unusable answer, not half a document."""
    server.reply("GET", "/v3/exercises/EX1/tcx", body=gzip.compress(b"<x/>" * 1000)[:40])

    with pytest.raises(AccessLinkResponseError, match="truncated"):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.TCX)


async def test_bound_holds_for_http_compression(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """A small body that HTTP decompression makes large is refused while it is read."""
    server.reply(
        "GET",
        "/v3/exercises/EX1/gpx",
        body=gzip.compress(b"<" * 500_000),
        headers={"Content-Encoding": "gzip"},
    )

    with pytest.raises(AccessLinkResponseError, match="larger than"):
        await client.get_exercise_file(TOKEN, "EX1", ExerciseFileFormat.GPX, max_bytes=100_000)
