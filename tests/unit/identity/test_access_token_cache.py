"""A token verified lately is known by its text, and its expiry is still checked on every use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from adapters.crypto.jwt_issuer import JwtAccessTokenIssuer
from domain.kernel.errors import Unauthorized

NOW = datetime.now(UTC)


def issuer_at(wall: list[float]) -> JwtAccessTokenIssuer:
    return JwtAccessTokenIssuer("s" * 32, timedelta(minutes=15), wall=lambda: wall[0])


def test_a_known_token_is_refused_once_expired() -> None:
    wall = [NOW.timestamp()]
    tokens = issuer_at(wall)
    user = uuid4()
    token = tokens.issue(user, NOW).token
    assert tokens.verify(token).user_id == user
    wall[0] += 15 * 60 - 1
    assert tokens.verify(token).user_id == user, "known and still valid"
    wall[0] += 2
    with pytest.raises(Unauthorized):
        tokens.verify(token)


def test_a_known_token_with_another_signature_is_verified_afresh_and_refused() -> None:
    tokens = issuer_at([NOW.timestamp()])
    token = tokens.issue(uuid4(), NOW).token
    tokens.verify(token)
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthorized):
        tokens.verify(forged)
