from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.caching import USER_TTL_SECONDS, user_key
from domain.kernel.errors import Unauthorized
from ports.cache import Cache
from ports.identity import UserReader


@dataclass(slots=True, kw_only=True, frozen=True)
class CurrentUser:
    """Who a session belongs to: what a request may know of its user (never the password hash)."""

    id: UUID
    email: str
    name: str
    is_platform_admin: bool


class GetCurrentUser:
    """The authenticated user, read through the cache (a change to the user clears it).

    Rules: a token whose user no longer exists is `Unauthorized`.
    """

    def __init__(self, users: UserReader, cache: Cache) -> None:
        self._users = users
        self._cache = cache

    async def __call__(self, user_id: UUID) -> CurrentUser:
        key = user_key(user_id)
        cached = await self._cache.get(key, CurrentUser)
        if cached is not None:
            return cached
        user = await self._users.get(user_id)
        if user is None:
            raise Unauthorized("user no longer exists")
        current = CurrentUser(id=user.id, email=user.email, name=user.name, is_platform_admin=user.is_platform_admin)
        await self._cache.set(key, current, ttl_seconds=USER_TTL_SECONDS, if_absent=True)
        return current
