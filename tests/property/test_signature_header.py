"""R8: the signature header parser and both verifiers (ours and the README's) take any input and answer
cleanly — a parsed header, a `ValueError`, or False — and accept exactly what was signed."""

from __future__ import annotations

import string
import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.kernel.signatures import SignatureHeader, parse_header, signature, signature_header, verify
from tests.support.webhooks import readme_verifier

README_VERIFY = readme_verifier()
NOW = 1_800_000_000
SECRETS = st.text(min_size=1, max_size=40)
BODIES = st.binary(max_size=300)
HEADER_ALPHABET = st.sampled_from([*"tv1=,0123456789abcdef ", "v0", "v2", "\x00", "é", "\u0661", "=="])
HEADERISH = st.lists(HEADER_ALPHABET, max_size=80).map("".join)


@given(st.one_of(st.text(max_size=300), HEADERISH))
@example("")
@example("t=,v1=")
@example("t=1,t=2,v1=" + "a" * 64)
@example("t=\u0661\u0662\u0663,v1=" + "a" * 64)  # non-ASCII digits are not a time
@example("t=99999999999999999999,v1=" + "a" * 64)
@example("v1=" + "A" * 64 + ",t=1")
@example("," * 5000)
@settings(max_examples=500)
def test_parsing_any_header_answers_a_header_or_a_value_error(header: str) -> None:
    try:
        parsed = parse_header(header)
    except ValueError as exc:
        reason = str(exc)
        assert reason, "a clean error says what is wrong"
        return
    assert isinstance(parsed, SignatureHeader)
    assert 0 <= parsed.timestamp < 10**12
    assert parsed.signatures
    assert all(len(s) == 64 and set(s) <= set(string.hexdigits.lower()) for s in parsed.signatures)


@given(st.one_of(st.text(max_size=300), HEADERISH), SECRETS, BODIES)
@settings(max_examples=300)
def test_no_header_crashes_either_verifier(header: str, secret: str, body: bytes) -> None:
    assert verify(header, secret, body, now=NOW) in (True, False)
    assert README_VERIFY(header, body, secret) in (True, False)


@given(st.lists(SECRETS, min_size=1, max_size=3), BODIES, st.integers(0, 2))
def test_what_is_signed_verifies_under_each_secret_and_nothing_else(
    secrets: list[str], body: bytes, which: int
) -> None:
    now = int(time.time())
    header = signature_header(secrets, now, body)
    secret = secrets[which % len(secrets)]
    assert verify(header, secret, body, now=now)
    assert README_VERIFY(header, body, secret)
    assert parse_header(header).signatures == tuple(signature(s, now, body) for s in secrets)
    assert not verify(header, secret + "x", body, now=now), "another secret"
    assert not README_VERIFY(header, body + b"x", secret), "a tampered body"
    assert not README_VERIFY(header.replace(f"t={now}", f"t={now + 1}"), body, secret), "a tampered time"


@given(SECRETS, BODIES, st.integers(301, 10**6))
def test_a_stale_or_future_timestamp_is_refused(secret: str, body: bytes, skew: int) -> None:
    now = int(time.time())
    for at in (now - skew, now + skew):
        header = signature_header([secret], at, body)
        assert not verify(header, secret, body, now=now)
        assert not README_VERIFY(header, body, secret)
    assert verify(signature_header([secret], now - 300, body), secret, body, now=now), "300 s is still in"
