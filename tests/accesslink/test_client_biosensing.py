"""Elixir biosensing calls against a real local server."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.polar_flow.accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkResponseError,
    AccessLinkUser,
    BodyTemperaturePeriod,
    EcgTestResult,
    SkinContactPeriod,
    SkinTemperature,
    Spo2TestResult,
)

from .conftest import TOKEN, FakeAccessLink
from .payloads import fixture

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

BEARER = f"Bearer {TOKEN}"
DAY = dt.date(2026, 11, 29)

type ListRange = Callable[..., Awaitable[list[Any]]]

SKIN_CONTACTS = [
    {
        "source_device_id": "C7A1B2D3",
        "start_time": "2026-11-29T04:00:00",
        "skin_contact_changes": [{"skin_contact": True, "recording_time_delta_milliseconds": 0}],
    }
]
ECG = [{"test_time": 1795932000, "time_zone_offset": 120, "average_heart_rate_bpm": 61}]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One biosensing list: where it lives, what it serves and the client call for it."""

    path: str
    served: list[dict[str, Any]]
    model: Any
    list_range: ListRange


@pytest.fixture(
    params=[
        pytest.param(
            Endpoint(
                "/v3/users/biosensing/spo2",
                fixture("spo2.json"),
                Spo2TestResult,
                AccessLinkClient.list_spo2,
            ),
            id="spo2",
        ),
        pytest.param(
            Endpoint(
                "/v3/users/biosensing/skintemperature",
                fixture("skin_temperature.json"),
                SkinTemperature,
                AccessLinkClient.list_skin_temperature,
            ),
            id="skintemperature",
        ),
        pytest.param(
            Endpoint(
                "/v3/users/biosensing/bodytemperature",
                fixture("body_temperature.json"),
                BodyTemperaturePeriod,
                AccessLinkClient.list_body_temperature,
            ),
            id="bodytemperature",
        ),
        pytest.param(
            Endpoint(
                "/v3/users/biosensing/skincontacts",
                SKIN_CONTACTS,
                SkinContactPeriod,
                AccessLinkClient.list_skin_contacts,
            ),
            id="skincontacts",
        ),
        pytest.param(
            Endpoint("/v3/users/biosensing/ecg", ECG, EcgTestResult, AccessLinkClient.list_ecg),
            id="ecg",
        ),
    ]
)
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    """Each biosensing list in turn."""
    param: Endpoint = request.param
    return param


async def test_list_the_last_28_days(
    server: FakeAccessLink, client: AccessLinkClient, endpoint: Endpoint
) -> None:
    server.reply("GET", endpoint.path, json_body=endpoint.served)
    found = await endpoint.list_range(client, TOKEN)
    assert found == [endpoint.model.from_dict(item) for item in endpoint.served]
    request = server.last
    assert (request.method, request.path, request.query) == ("GET", endpoint.path, {})
    assert request.headers["Authorization"] == BEARER


async def test_list_a_range(
    server: FakeAccessLink, client: AccessLinkClient, endpoint: Endpoint
) -> None:
    server.reply("GET", endpoint.path, json_body=endpoint.served)
    await endpoint.list_range(client, TOKEN, DAY - dt.timedelta(days=1), DAY)
    assert server.last.query == {"from": "2026-11-28", "to": "2026-11-29"}


async def test_a_range_too_long_is_not_sent(
    server: FakeAccessLink, client: AccessLinkClient, endpoint: Endpoint
) -> None:
    with pytest.raises(ValueError, match="28 days"):
        await endpoint.list_range(client, TOKEN, DAY - dt.timedelta(days=28), DAY)
    assert server.requests == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (204, None),
        (200, ""),
        (200, "[]"),
        (404, '{"status": 404, "errorType": "NotFound", "message": "not found"}'),
    ],
    ids=["no-content", "empty-body", "empty-list", "not-found"],
)
async def test_no_sensor_is_no_data(
    server: FakeAccessLink,
    client: AccessLinkClient,
    endpoint: Endpoint,
    status: int,
    body: str | None,
) -> None:
    """A device without the sensor: AccessLink answers 204, 404 or an empty list."""
    server.reply("GET", endpoint.path, status, body=body)
    assert await endpoint.list_range(client, TOKEN) == []


async def test_list_skips_unusable_items(
    server: FakeAccessLink,
    client: AccessLinkClient,
    caplog: pytest.LogCaptureFixture,
    endpoint: Endpoint,
) -> None:
    good = endpoint.served[0]
    server.reply("GET", endpoint.path, json_body=[{}, good, "x", None])
    with caplog.at_level(logging.DEBUG):
        found = await endpoint.list_range(client, TOKEN)
    assert found == [endpoint.model.from_dict(good)]
    skipped = [record for record in caplog.records if "Skipping" in record.getMessage()]
    assert len(skipped) == 3
    assert all(record.levelno == logging.DEBUG for record in skipped)


@pytest.mark.parametrize("body", ['{"data": []}', '"x"', "not json"])
async def test_list_unusable_body(
    server: FakeAccessLink, client: AccessLinkClient, endpoint: Endpoint, body: str
) -> None:
    server.reply("GET", endpoint.path, body=body)
    with pytest.raises(AccessLinkResponseError):
        await endpoint.list_range(client, TOKEN)


@pytest.mark.parametrize(
    ("status", "error"), [(401, AccessLinkAuthError), (403, AccessLinkConsentError)]
)
async def test_list_refused(
    server: FakeAccessLink,
    client: AccessLinkClient,
    endpoint: Endpoint,
    status: int,
    error: type[Exception],
) -> None:
    """Only "no data" answers are no data: a refused token or consent still raises."""
    server.reply("GET", endpoint.path, status, json_body={"message": "refused"})
    with pytest.raises(error):
        await endpoint.list_range(client, TOKEN)


async def test_user_lists_with_a_fresh_token(
    server: FakeAccessLink, client: AccessLinkClient
) -> None:
    """The account's calls ask the token provider first, and pass the range on."""
    tokens: list[str] = []

    async def token() -> str:
        tokens.append(TOKEN)
        return TOKEN

    user = AccessLinkUser(client, 475, token)
    for name, document in (
        ("spo2", "spo2.json"),
        ("skintemperature", "skin_temperature.json"),
        ("bodytemperature", "body_temperature.json"),
    ):
        server.reply("GET", f"/v3/users/biosensing/{name}", json_body=fixture(document))
    assert await user.list_spo2() == [Spo2TestResult.from_dict(fixture("spo2.json")[0])]
    assert [item.sleep_date for item in await user.list_skin_temperature(DAY, DAY)] == [
        dt.date(2026, 11, 28),
        DAY,
    ]
    assert len(await user.list_body_temperature()) == 1
    assert len(tokens) == 3
    assert [request.query for request in server.requests] == [
        {},
        {"from": "2026-11-29", "to": "2026-11-29"},
        {},
    ]
    assert {request.headers["Authorization"] for request in server.requests} == {BEARER}
