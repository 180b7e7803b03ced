from __future__ import annotations

from dataclasses import dataclass

from application.caching import forget_user
from ports.cache import Cache
from ports.security import SecretTokens
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class LogoutUserCommand:
    refresh_token: str


class LogoutUser:
    """End a session: revoke the refresh-token family of the presented token.

    Rules: idempotent, and silent about unknown tokens (nothing to learn); the user's cached
    profile is dropped with the session.
    """

    def __init__(self, uow: UnitOfWork, tokens: SecretTokens, clock: Clock, cache: Cache) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock
        self._cache = cache

    async def __call__(self, cmd: LogoutUserCommand) -> None:
        async with self._uow as uow:
            token = await uow.refresh_tokens.get_by_hash_for_update(self._tokens.hash_of(cmd.refresh_token))
            if token is None:
                return
            await uow.refresh_tokens.revoke_family(token.family_id, self._clock.now())
            await uow.commit()
        await forget_user(self._cache, token.user_id)
