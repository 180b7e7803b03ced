"""Signed deliveries: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

The scraper's job callbacks and outgoing webhooks use it. During a
secret rotation a header may carry several `v1` values; a receiver accepts
the delivery when one of them matches and `t` is within its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value, one `v1` per secret (the new one first during a rotation)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


@dataclass(slots=True, frozen=True)
class SignatureHeader:
    timestamp: int
    signatures: tuple[str, ...]  # every `v1` value, in order


MAX_HEADER_CHARS = 2048
_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_header(header: str) -> SignatureHeader:
    """The header's timestamp and `v1` signatures, or `ValueError` saying what is wrong. Unknown schemes
    (`v0=`, a future `v2=`) are skipped, as a receiver must; a `v1` that is not 64 hex digits is an error."""
    if not isinstance(header, str) or len(header) > MAX_HEADER_CHARS:
        raise ValueError(f"the signature header must be text of at most {MAX_HEADER_CHARS} characters")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise ValueError("each part of the signature header is key=value")
        if key == "t":
            if timestamp is not None:
                raise ValueError("the signature header has two timestamps")
            if not (value.isascii() and value.isdigit() and len(value) <= 12):
                raise ValueError("t must be unix seconds")
            timestamp = int(value)
        elif key == "v1":
            if not _HEX64.fullmatch(value):
                raise ValueError("v1 must be 64 lower-case hex digits")
            candidates.append(value)
    if timestamp is None:
        raise ValueError("the signature header has no t")
    if not candidates:
        raise ValueError("the signature header has no v1")
    return SignatureHeader(timestamp=timestamp, signatures=tuple(candidates))


def verify(header: str, secret: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether the header signs the body with the secret, at a time within `tolerance` of `now`.
    Anything malformed is simply not verified."""
    try:
        parsed = parse_header(header)
    except ValueError:
        return False
    if abs(now - parsed.timestamp) > tolerance:
        return False
    expected = signature(secret, parsed.timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in parsed.signatures)
