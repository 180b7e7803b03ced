from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from domain.kernel.errors import Unauthorized
from ports.security import AccessClaims, IssuedAccessToken

ALGORITHM = "HS256"
ISSUER = "cascade"
AUDIENCE = "cascade-api"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti"]


class JwtAccessTokenIssuer:
    """HS256 access tokens; the algorithm is pinned so `alg=none` and key confusion fail."""

    def __init__(self, secret: str, ttl: timedelta, *, leeway_seconds: int = 0) -> None:
        self._secret = secret
        self._ttl = ttl
        self._leeway = leeway_seconds

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
