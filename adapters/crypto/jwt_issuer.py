from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from domain.kernel.errors import Unauthorized
from ports.security import AccessClaims, IssuedAccessToken

ALGORITHM = "HS256"
ISSUER = "cascade"
AUDIENCE = "cascade-api"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti"]
# Tokens verified lately, by their whole text (signature included: any other text is verified afresh).
VERIFIED_KEPT = 10_000


class JwtAccessTokenIssuer:
    """HS256 access tokens; the algorithm is pinned so `alg=none` and key confusion fail.

    A client sends the same token with every request until it expires: a token verified lately is known by
    its text and its expiry, and answered without the signature and claims being checked again (a dict
    lookup instead of an HMAC and a JSON decode). Its expiry is still checked on every use.
    """

    def __init__(
        self, secret: str, ttl: timedelta, *, leeway_seconds: int = 0, wall: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._ttl = ttl
        self._leeway = leeway_seconds
        self._wall = wall
        self._verified: dict[str, AccessClaims] = {}

    def issue(self, user_id: UUID, now: datetime) -> IssuedAccessToken:
        claims = {
            "sub": str(user_id),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self._ttl).timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return IssuedAccessToken(token=token, expires_in_seconds=int(self._ttl.total_seconds()))

    def verify(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at.timestamp() + self._leeway > self._wall():
                return known
            del self._verified[token]
            raise Unauthorized("invalid or expired access token")
        claims = self._decode(token)
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": _REQUIRED},
            )
            return AccessClaims(
                user_id=UUID(claims["sub"]),
                token_id=str(claims["jti"]),
                issued_at=datetime.fromtimestamp(claims["iat"], UTC),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("invalid or expired access token") from exc
