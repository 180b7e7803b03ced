from __future__ import annotations

from uuid import UUID

from domain.errors import Unauthorized
from domain.identity import User
from ports.readers import UserReader


class GetCurrentUser:
    """The authenticated user. A token whose user no longer exists is `Unauthorized`."""

    def __init__(self, users: UserReader) -> None:
        self._users = users

    async def __call__(self, user_id: UUID) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise Unauthorized("user no longer exists")
        return user
