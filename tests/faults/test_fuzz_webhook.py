"""Fuzzing the webhook of a running Home Assistant: no 500, no unhandled error, no fetch."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import ALICE, Polar, errors_in_log

MAX_BODY = 64 * 1024
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
NOTICE_KEYS = ["event", "user_id", "entity_id", "timestamp", "url", "date", "from", "to"]
EVENTS = st.sampled_from(["EXERCISE", "PING", "SLEEP", "exercise", "", "ACTIVITY_SUMMARY"])
# Notices for anyone but Alice (or not EXERCISE) may be signed: they must still fetch nothing.
NOTICE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "event": EVENTS | JSON_SCALARS,
        "user_id": st.integers().filter(lambda n: n != ALICE) | st.text(max_size=12) | JSON,
        "entity_id": st.text(max_size=300) | JSON_SCALARS,
        "timestamp": st.text(max_size=80) | JSON_SCALARS,
        "url": st.text(max_size=100) | JSON_SCALARS,
        "date": st.text(max_size=40),
    },
)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-32", "cp1252"])


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """Return one request: body bytes, headers, and whether to sign it with the real secret."""
    kind = draw(st.sampled_from(["bytes", "json", "notice", "large", "text"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=2048))
    elif kind == "json":
        body = json.dumps(draw(JSON)).encode()
    elif kind == "notice":
        body = json.dumps(draw(NOTICE_LIKE)).encode()
    elif kind == "large":
        body = draw(st.sampled_from([b"x", b"{", b"[", b" "])) * draw(
            st.sampled_from([MAX_BODY - 1, MAX_BODY, MAX_BODY + 1, 3 * MAX_BODY])
        )
    else:
        text = json.dumps(draw(NOTICE_LIKE), ensure_ascii=False)
        body = text.encode(draw(ENCODINGS), errors="replace")
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["Content-Type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/json; charset=utf-16"])
        )  # fmt: skip
    if draw(st.booleans()):
        headers["Polar-Webhook-Event"] = draw(st.text(alphabet=st.characters(min_codepoint=32,
                                                                            max_codepoint=126),
                                                      max_size=30))  # fmt: skip
    signature = draw(st.sampled_from(["real", "none", "garbage", "upper"]))
    if draw(st.booleans()):
        # Only encodings the body really has: a body that fails to decompress is a known bug
        # (test_undecodable_content_encoding below).
        headers["Content-Encoding"] = "identity"
    return {"body": body, "headers": headers, "signature": signature}


@pytest.mark.timeout(60)
async def test_fuzz_webhook(
    polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """200 arbitrary requests: 200/400/401/413 only, nothing fetched, nothing logged as error."""
    secret = (await polar.webhook())["secret"]
    path = (await polar.webhook())["url"]
    loop = asyncio.get_running_loop()
    session = polar.session
    statuses: list[int] = []
    start = len(polar.hits)

    async def send(request: dict[str, Any]) -> int:
        body: bytes = request["body"]
        headers = dict(request["headers"])
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if request["signature"] == "real":
            headers["Polar-Webhook-Signature"] = digest
        elif request["signature"] == "upper":
            headers["Polar-Webhook-Signature"] = digest.upper()
        elif request["signature"] == "garbage":
            headers["Polar-Webhook-Signature"] = "0" * 64
        async with session.post(path, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests())
    def check(request: dict[str, Any]) -> None:
        status = asyncio.run_coroutine_threadsafe(send(request), loop).result(10)
        statuses.append(status)
        assert status in {200, 400, 401, 413}, (status, request)

    await polar.hass.async_add_executor_job(check)
    await polar.settle()
    assert len(statuses) >= 100
    assert polar.hits[start:] == []  # no fetch from AccessLink
    assert polar.published == []
    assert errors_in_log(caplog) == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.timeout(30)
async def test_undecodable_content_encoding(
    polar: Polar, alice: MockConfigEntry, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    """An unsigned body that claims a compression it lacks: refused quietly (no traceback)."""
    path = (await polar.webhook())["url"]
    body = json.dumps({"event": "EXERCISE", "user_id": ALICE}).encode()
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    async with polar.session.post(path, data=body, headers=headers) as resp:
        assert resp.status != 500
    await polar.settle()
    # aiohttp's own "Unhandled exception" of the server protocol is not the integration's.
    assert [e for e in errors_in_log(caplog) if not e.startswith("aiohttp.server")] == []
