from __future__ import annotations

from dataclasses import dataclass

from application.auth.session_issuer import AuthSession, SessionIssuer
from domain.identity.sessions import RefreshVerdict
from domain.kernel.errors import Unauthorized
from ports.security import SecretTokens
from ports.system import Clock
from ports.unit_of_work import UnitOfWork

INVALID_REFRESH = "invalid refresh token"


@dataclass(slots=True, kw_only=True, frozen=True)
class RefreshSessionCommand:
    refresh_token: str


class RefreshSession:
    """Rotate a refresh token into a new token pair.

    Rules: a token is good once; its successor joins the same family. A token
    presented again after use revokes its whole family (the revocation is
    committed even though the call fails). Unknown, expired and revoked
    tokens are all the same `Unauthorized`.
    """

    def __init__(self, uow: UnitOfWork, tokens: SecretTokens, sessions: SessionIssuer, clock: Clock) -> None:
        self._uow = uow
        self._tokens = tokens
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, cmd: RefreshSessionCommand) -> AuthSession:
        async with self._uow as uow:
            now = self._clock.now()
            token = await uow.refresh_tokens.get_by_hash_for_update(self._tokens.hash_of(cmd.refresh_token))
            if token is None:
                raise Unauthorized(INVALID_REFRESH)
            verdict = token.verdict(now)
            if verdict is RefreshVerdict.REVOKE_FAMILY:
                await uow.refresh_tokens.revoke_family(token.family_id, now)
                await uow.commit()
                raise Unauthorized("refresh token reuse detected; please log in again")
            if verdict is RefreshVerdict.REJECT:
                raise Unauthorized(INVALID_REFRESH)
            user = await uow.users.get(token.user_id)
            if user is None:
                raise Unauthorized(INVALID_REFRESH)
            token.consume(now)
            await uow.refresh_tokens.mark_used(token.id, now)
            session = await self._sessions.issue(uow, user, family_id=token.family_id)
            await uow.commit()
        return session
