"""One schema for webhook notices: what is required, and what is dropped instead of refused."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from custom_components.polar_flow.accesslink import EventType, InvalidDataError, Notice

UTC = dt.UTC
BASE: dict[str, Any] = {
    "user_id": 475,
    "timestamp": "2026-11-27T07:05:00Z",
}
EXERCISE: dict[str, Any] = {
    **BASE,
    "event": "EXERCISE",
    "entity_id": "aQlC83",
    "url": "https://www.polaraccesslink.com/v3/exercises/aQlC83",
}
SLEEP: dict[str, Any] = {
    **BASE,
    "event": "SLEEP",
    "date": "2026-11-27",
    "url": "https://www.polaraccesslink.com/v3/users/sleep/2026-11-27",
}


def test_sleep_notice() -> None:
    assert Notice.from_dict(SLEEP) == Notice(
        event=EventType.SLEEP,
        user_id=475,
        timestamp=dt.datetime(2026, 11, 27, 7, 5, tzinfo=UTC),
        url="https://www.polaraccesslink.com/v3/users/sleep/2026-11-27",
        date=dt.date(2026, 11, 27),
    )


@pytest.mark.parametrize("event", ["SLEEP", "ACTIVITY_SUMMARY", "CONTINUOUS_HEART_RATE"])
@pytest.mark.parametrize(
    "date",
    [None, "", "2026-13-01", "27.11.2026", 20261127, "x" * 40],
    ids=["null", "empty", "bad-month", "finnish", "number", "long"],
)
def test_dated_notice_needs_a_usable_date(event: str, date: Any) -> None:
    with pytest.raises(InvalidDataError, match=f"{event} notice without a usable 'date'"):
        Notice.from_dict({**SLEEP, "event": event, "date": date})


@pytest.mark.parametrize("event", ["SLEEP", "ACTIVITY_SUMMARY", "CONTINUOUS_HEART_RATE"])
def test_dated_notice_without_date(event: str) -> None:
    payload = {key: value for key, value in SLEEP.items() if key != "date"}
    with pytest.raises(InvalidDataError, match="without a usable 'date'"):
        Notice.from_dict({**payload, "event": event})


@pytest.mark.parametrize(
    "entity_id",
    [None, "", "x" * 257, {"id": "aQlC83"}, True, 4.5],
    ids=["null", "empty", "too-long", "object", "boolean", "float"],
)
def test_exercise_notice_needs_a_usable_entity_id(entity_id: Any) -> None:
    with pytest.raises(InvalidDataError, match="EXERCISE notice without a usable 'entity_id'"):
        Notice.from_dict({**EXERCISE, "entity_id": entity_id})
    missing = {key: value for key, value in EXERCISE.items() if key != "entity_id"}
    with pytest.raises(InvalidDataError, match="entity_id"):
        Notice.from_dict(missing)


@pytest.mark.parametrize(
    ("entity_id", "expected"),
    [(123, "123"), ("x" * 256, "x" * 256), ("a/b", "a/b")],
    ids=["number", "longest", "unsafe-is-for-the-fetch-to-refuse"],
)
def test_exercise_entity_id_forms(entity_id: Any, expected: str) -> None:
    assert Notice.from_dict({**EXERCISE, "entity_id": entity_id}).entity_id == expected


def test_ping_needs_no_user_id() -> None:
    notice = Notice.from_dict({"event": "PING", "timestamp": "2026-11-27T07:05:00Z"})
    assert notice.event is EventType.PING
    assert notice.user_id is None


@pytest.mark.parametrize("event", ["EXERCISE", "SLEEP", "PHYSICAL_INFORMATION", "NEW_THING"])
def test_other_notices_need_a_user_id(event: str) -> None:
    payload = {key: value for key, value in {**SLEEP, **EXERCISE}.items() if key != "user_id"}
    with pytest.raises(InvalidDataError, match="user_id"):
        Notice.from_dict({**payload, "event": event})


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [(475, 475), ("475", 475), (0, 0), ("9" * 18, int("9" * 18))],
    ids=["int", "digits", "zero", "long-digits"],
)
def test_user_id_forms(user_id: Any, expected: int) -> None:
    assert Notice.from_dict({**SLEEP, "user_id": user_id}).user_id == expected


@pytest.mark.parametrize(
    "user_id",
    [None, True, 4.5, 475.0, -1, "-1", " 475", "47x", "", "\uff11\uff12", "9" * 20, 2**63, [475]],
    ids=[
        "null",
        "boolean",
        "float",
        "integral-float",
        "negative",
        "negative-string",
        "padded",
        "letters",
        "empty",
        "fullwidth-digits",
        "too-many-digits",
        "beyond-int64",
        "array",
    ],
)
def test_unusable_user_id(user_id: Any) -> None:
    with pytest.raises(InvalidDataError, match="user_id") as info:
        Notice.from_dict({**SLEEP, "user_id": user_id})
    assert repr(user_id) not in str(info.value)


@pytest.mark.parametrize(
    "event", [None, "", "E" * 65, 7, ["SLEEP"]], ids=["null", "empty", "too-long", "int", "array"]
)
def test_unusable_event(event: Any) -> None:
    with pytest.raises(InvalidDataError, match="event"):
        Notice.from_dict({**SLEEP, "event": event})


def test_event_of_64_characters_is_kept() -> None:
    assert Notice.from_dict({**BASE, "event": "E" * 64}).event == "E" * 64


@pytest.mark.parametrize("payload", [[], "SLEEP", None, 5], ids=["array", "string", "null", "int"])
def test_not_an_object(payload: Any) -> None:
    with pytest.raises(InvalidDataError, match="notice"):
        Notice.from_dict(payload)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="invalid notice"):
        Notice.from_dict({})


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("url", "https://x.example/" + "a" * 2031, "url"),
        ("url", "", "url"),
        ("url", 5, "url"),
        ("url", None, "url"),
        ("timestamp", "soon", "timestamp"),
        ("timestamp", 1764227100, "timestamp"),
        ("timestamp", "2026-11-27T07:05:00." + "1" * 50 + "+00:00", "timestamp"),
        ("date", "2026-02-30", "date"),
        ("entity_id", ["x"], "entity_id"),
        ("from", "tonight", "from_time"),
        ("to", {"date": "2026-11-27"}, "to_time"),
    ],
    ids=[
        "url-too-long",
        "url-empty",
        "url-number",
        "url-null",
        "timestamp-word",
        "timestamp-epoch",
        "timestamp-too-long",
        "impossible-date",
        "entity-id-array",
        "from-word",
        "to-object",
    ],
)
def test_unusable_optional_field_is_dropped(field: str, value: Any, attribute: str) -> None:
    """A PHYSICAL_INFORMATION notice needs none of them: the notice stays, the field goes."""
    payload = {
        **BASE,
        "event": "PHYSICAL_INFORMATION",
        "url": "https://www.polaraccesslink.com/v3/users/physical-info",
        field: value,
    }
    notice = Notice.from_dict(payload)
    assert notice.event is EventType.PHYSICAL_INFORMATION
    assert notice.user_id == 475
    assert getattr(notice, attribute) is None


def test_usable_fields_at_their_limits() -> None:
    url = "https://www.polaraccesslink.com/v3/" + "a" * (2048 - 35)
    notice = Notice.from_dict(
        {
            **BASE,
            "event": "SLEEP_WISE_ALERTNESS",
            "url": url,
            "from": "2026-11-26",
            "to": "2026-11-27T06:00:00+02:00",
            "timestamp": "2026-11-27T09:05:00",
        }
    )
    assert notice.url == url
    assert len(url) == 2048
    assert notice.from_time == dt.datetime(2026, 11, 26, tzinfo=UTC)
    assert notice.to_time == dt.datetime(2026, 11, 27, 4, tzinfo=UTC)
    assert notice.timestamp == dt.datetime(2026, 11, 27, 9, 5, tzinfo=UTC)


def test_dropped_fields_are_named_in_the_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    """The log says which fields went, never what they held."""
    payload = {**EXERCISE, "url": "u" * 3000, "timestamp": "private-0475", "date": "private-0476"}
    with caplog.at_level(logging.DEBUG, logger="custom_components.polar_flow"):
        notice = Notice.from_dict(payload)
    assert (notice.url, notice.timestamp, notice.date) == (None, None, None)
    assert notice.entity_id == "aQlC83"
    (record,) = [record for record in caplog.records if "Dropped" in record.getMessage()]
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == "Dropped the unusable date, timestamp, url of a notice"
    assert "private" not in caplog.text
    assert "uuu" not in caplog.text


def test_no_log_when_nothing_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="custom_components.polar_flow"):
        Notice.from_dict(EXERCISE)
    assert "Dropped" not in caplog.text


def test_unknown_fields_are_ignored() -> None:
    notice = Notice.from_dict({**SLEEP, "sleep_score": 80, "nested": {"a": [1]}})
    assert notice == Notice.from_dict(SLEEP)
