"""HMAC-SHA256 signatures of webhook bodies (Polar-Webhook-Signature)."""

from __future__ import annotations

import hashlib
import hmac
import string

_HEX_DIGITS = frozenset(string.hexdigits)
_SIGNATURE_LENGTH = hashlib.sha256().digest_size * 2


def sign(secret: str, body: bytes) -> str:
    """Return the lowercase hex HMAC-SHA256 of the raw body keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Check a signature header in constant time; any malformed input is simply False."""
    if not secret or not header:
        return False
    candidate = header.strip().lower()
    if len(candidate) != _SIGNATURE_LENGTH or not _HEX_DIGITS.issuperset(candidate):
        return False
    return hmac.compare_digest(sign(secret, body), candidate)
