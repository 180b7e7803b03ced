"""Users and refresh-token families, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.identity.sessions import RefreshToken
from domain.identity.users import User


class MemoryUserRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, user: User) -> None:
        if user.id in self._t.users or any(u.email == user.email for u in self._t.users.values()):
            raise conflict(self._t, "email already registered")
        self._t.users[user.id] = replace(user)

    async def get(self, user_id: UUID) -> User | None:
        user = self._t.users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        return next((replace(u) for u in self._t.users.values() if u.email == email), None)

    async def set_platform_admin(self, user_id: UUID, value: bool) -> None:
        if user := self._t.users.get(user_id):
            self._t.users[user_id] = replace(user, is_platform_admin=value)


class MemoryRefreshTokenRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, token: RefreshToken) -> None:
        taken = token.id in self._t.refresh_tokens
        if taken or any(t.token_hash == token.token_hash for t in self._t.refresh_tokens.values()):
            raise conflict(self._t, "refresh token already exists")
        self._t.refresh_tokens[token.id] = replace(token)

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        return next((replace(t) for t in self._t.refresh_tokens.values() if t.token_hash == token_hash), None)

    async def mark_used(self, token_id: UUID, at: datetime) -> None:
        if token := self._t.refresh_tokens.get(token_id):
            self._t.refresh_tokens[token_id] = replace(token, used_at=at)

    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        revoked = 0
        for key, token in list(self._t.refresh_tokens.items()):
            if token.family_id == family_id and token.revoked_at is None:
                self._t.refresh_tokens[key] = replace(token, revoked_at=at)
                revoked += 1
        return revoked


class MemoryUserReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, user_id: UUID) -> User | None:
        user = self._store.tables.users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        return next((replace(u) for u in self._store.tables.users.values() if u.email == email), None)


# This context's repositories in a unit of work (`IdentityRepositories` in ports/identity.py).
REPOSITORIES: Repositories = {
    "users": MemoryUserRepository,
    "refresh_tokens": MemoryRefreshTokenRepository,
}
