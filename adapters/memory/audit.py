from __future__ import annotations

from copy import deepcopy
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.audit.entry import AuditEntry
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of


class MemoryAuditLogRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, entry: AuditEntry) -> None:
        if entry.id in self._t.audit_log:
            raise conflict(self._t, "audit entry already exists")
        self._t.audit_log[entry.id] = deepcopy(entry)


class MemoryAuditLogReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[AuditEntry]:
        entries = [deepcopy(e) for e in self._store.tables.audit_log.values() if e.workspace_id == workspace_id]
        entries.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            entries = [deepcopy(e) for e in entries if (e.created_at, e.id) < before]
        return page_of(entries[: page.limit + 1], page.limit, lambda e: Cursor(created_at=e.created_at, id=e.id))


# This context's repositories in a unit of work (`AuditRepositories` in ports/audit.py).
REPOSITORIES: Repositories = {
    "audit": MemoryAuditLogRepository,
}
