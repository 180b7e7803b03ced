from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.credentials.credential import Credential
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of


class MemoryCredentialRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, credential: Credential) -> None:
        if credential.id in self._t.credentials:
            raise conflict(self._t, "credential already exists")
        self._t.credentials[credential.id] = replace(credential)

    async def get_for_update(self, workspace_id: UUID, credential_id: UUID) -> Credential | None:
        credential = self._t.credentials.get(credential_id)
        return replace(credential) if credential and credential.workspace_id == workspace_id else None

    async def save(self, credential: Credential) -> None:
        stored = self._t.credentials.get(credential.id)
        if stored and stored.workspace_id == credential.workspace_id:
            self._t.credentials[credential.id] = replace(
                stored,
                label=credential.label,
                sealed=credential.sealed,
                last4=credential.last4,
                updated_at=credential.updated_at,
            )

    async def delete(self, workspace_id: UUID, credential_id: UUID) -> None:
        credential = self._t.credentials.get(credential_id)
        if credential and credential.workspace_id == workspace_id:
            del self._t.credentials[credential_id]

    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[Credential]:
        stale = sorted(
            (c for c in self._t.credentials.values() if c.sealed.key_version != key_version),
            key=lambda c: c.id,
        )
        if after is not None:
            stale = [c for c in stale if c.id > after]
        return [replace(c) for c in stale[:limit]]


class MemoryCredentialReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, workspace_id: UUID, credential_id: UUID) -> Credential | None:
        credential = self._store.tables.credentials.get(credential_id)
        return replace(credential) if credential and credential.workspace_id == workspace_id else None

    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[Credential]:
        credentials = [replace(c) for c in self._store.tables.credentials.values() if c.workspace_id == workspace_id]
        credentials.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            credentials = [c for c in credentials if (c.created_at, c.id) < before]
        return page_of(credentials[: page.limit + 1], page.limit, lambda c: Cursor(created_at=c.created_at, id=c.id))

    async def newest_for_provider(self, workspace_id: UUID, provider: str) -> Credential | None:
        mine = [c for c in self._store.tables.credentials.values() if c.workspace_id == workspace_id]
        found = [c for c in mine if c.provider == provider]
        return replace(max(found, key=lambda c: (c.updated_at, c.id))) if found else None

    async def count_not_under_key(self, key_version: str) -> int:
        return sum(1 for c in self._store.tables.credentials.values() if c.sealed.key_version != key_version)


# This context's repositories in a unit of work (`CredentialRepositories` in ports/credentials.py).
REPOSITORIES: Repositories = {
    "credentials": MemoryCredentialRepository,
}
