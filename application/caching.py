"""What the core keeps in the `Cache`, under which keys, for how long, and how a change clears it.

Every entry is read through: a miss (or a cache that is down) reads the source. A fill only
writes a key that is empty (`if_absent`), and a change deletes its keys after its commit with a
hold, so a read that saw the old state just before the commit cannot put it back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Role
from domain.workspaces.workspace import WorkspaceView
from ports.cache import Cache
from ports.workspaces import WorkspaceReader

ROLE_TTL_SECONDS = 300.0
USER_TTL_SECONDS = 900.0
# Longer than any read between its query and its fill; changes are rare, so the extra reads are few.
CHANGE_HOLD_SECONDS = 10.0


def role_key(workspace_id: UUID, user_id: UUID) -> str:
    return f"role:{workspace_id}:{user_id}"


def user_key(user_id: UUID) -> str:
    return f"user:{user_id}"


@dataclass(slots=True, kw_only=True, frozen=True)
class CachedRole:
    role: Role | None  # None: not a member, cached too (other tenants' probes are as frequent)


class CachedWorkspaceReader:
    """A `WorkspaceReader` whose `role_of`, asked by every workspace request, goes through the cache.

    The use cases that change who is a member, or with which role, forget the keys they touch
    (`forget_roles`): a member removed or demoted loses the old rights at once, not after the TTL.
    """

    def __init__(self, inner: WorkspaceReader, cache: Cache) -> None:
        self._inner = inner
        self._cache = cache

    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None:
        key = role_key(workspace_id, user_id)
        cached = await self._cache.get(key, CachedRole)
        if cached is not None:
            return cached.role
        role = await self._inner.role_of(workspace_id, user_id)
        await self._cache.set(key, CachedRole(role=role), ttl_seconds=ROLE_TTL_SECONDS, if_absent=True)
        return role

    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None:
        return await self._inner.get_for_member(workspace_id, user_id)

    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        return await self._inner.list_for_member(user_id, page)


async def forget_roles(cache: Cache, workspace_id: UUID, user_ids: Iterable[UUID]) -> None:
    """After a commit that changed memberships of the workspace."""
    await cache.delete(*(role_key(workspace_id, u) for u in user_ids), hold_seconds=CHANGE_HOLD_SECONDS)


async def forget_user(cache: Cache, user_id: UUID) -> None:
    """After a commit that changed the user, or ended one of their sessions."""
    await cache.delete(user_key(user_id), hold_seconds=CHANGE_HOLD_SECONDS)
