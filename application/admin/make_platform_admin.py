from __future__ import annotations

from dataclasses import dataclass

from application.caching import forget_user
from domain.identity.users import normalize_email
from domain.kernel.errors import NotFound
from ports.cache import Cache
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class MakePlatformAdminCommand:
    email: str
    value: bool = True


class MakePlatformAdmin:
    """Set or clear the platform-admin flag (for `/admin/*` routes). Unknown email: `NotFound`."""

    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self._uow = uow
        self._cache = cache

    async def __call__(self, cmd: MakePlatformAdminCommand) -> None:
        async with self._uow as uow:
            user = await uow.users.get_by_email(normalize_email(cmd.email))
            if user is None:
                raise NotFound("no user with that email")
            await uow.users.set_platform_admin(user.id, cmd.value)
            await uow.commit()
        await forget_user(self._cache, user.id)
