"""Webhook signature checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from custom_components.polar_flow.accesslink import sign, verify_signature

SECRET = "abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1"
BODY = b'{"event":"EXERCISE","user_id":475,"entity_id":"aQlC83"}'
EXPECTED = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_sign_is_lowercase_hex_hmac_sha256() -> None:
    signature = sign(SECRET, BODY)
    assert signature == EXPECTED
    assert signature == signature.lower()
    assert len(signature) == 64


@pytest.mark.parametrize(
    "header",
    [EXPECTED, EXPECTED.upper(), f" {EXPECTED} "],
    ids=["lowercase", "uppercase", "padded"],
)
def test_valid_signature(header: str) -> None:
    assert verify_signature(SECRET, BODY, header) is True


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        (SECRET, BODY + b" ", EXPECTED),
        (SECRET, BODY.replace(b"475", b"476"), EXPECTED),
        ("another-secret", BODY, EXPECTED),
        ("", BODY, EXPECTED),
        (SECRET, BODY, None),
        (SECRET, BODY, ""),
        (SECRET, BODY, "   "),
        (SECRET, BODY, "z" * 64),
        (SECRET, BODY, EXPECTED[:-1]),
        (SECRET, BODY, EXPECTED + "0"),
        (SECRET, BODY, f"sha256={EXPECTED}"),
        (SECRET, BODY, EXPECTED[:-1] + "é"),
        (SECRET, BODY, EXPECTED[:-2] + "٣٣"),
        (SECRET, BODY, hashlib.sha256(BODY).hexdigest()),
    ],
    ids=[
        "tampered-appended",
        "tampered-changed",
        "wrong-secret",
        "empty-secret",
        "none",
        "empty",
        "blank",
        "non-hex",
        "short",
        "long",
        "prefixed",
        "non-ascii",
        "non-ascii-digits",
        "unkeyed-hash",
    ],
)
def test_invalid_signature(secret: str, body: bytes, header: str | None) -> None:
    assert verify_signature(secret, body, header) is False
