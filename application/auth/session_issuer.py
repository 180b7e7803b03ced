from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.identity.sessions import REFRESH_TOKEN_TTL, RefreshToken
from domain.identity.users import User
from ports.security import AccessTokenIssuer, SecretTokens
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class AuthSession:
    user: User
    access_token: str
    refresh_token: str
    expires_in_seconds: int


class SessionIssuer:
    """Issues an access token and the next refresh token of a family."""

    def __init__(self, clock: Clock, ids: IdGenerator, tokens: SecretTokens, access: AccessTokenIssuer) -> None:
        self._clock = clock
        self._ids = ids
        self._tokens = tokens
        self._access = access

    async def issue(self, uow: UnitOfWork, user: User, family_id: UUID | None = None) -> AuthSession:
        now = self._clock.now()
        secret = self._tokens.new()
        await uow.refresh_tokens.add(
            RefreshToken(
                id=self._ids.new_id(),
                family_id=family_id or self._ids.new_id(),
                user_id=user.id,
                token_hash=secret.hash,
                created_at=now,
                expires_at=now + REFRESH_TOKEN_TTL,
            )
        )
        access = self._access.issue(user.id, now)
        return AuthSession(
            user=user,
            access_token=access.token,
            refresh_token=secret.plaintext,
            expires_in_seconds=access.expires_in_seconds,
        )
