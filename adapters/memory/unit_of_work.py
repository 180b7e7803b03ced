from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from adapters.memory.audit import MemoryAuditLogRepository
from adapters.memory.credentials import MemoryCredentialRepository
from adapters.memory.credits import MemoryCreditLedger
from adapters.memory.enrichment import MemoryAttemptLog
from adapters.memory.events import MemoryEventOutbox
from adapters.memory.identity import MemoryRefreshTokenRepository, MemoryUserRepository
from adapters.memory.jobs import MemoryJobRepository
from adapters.memory.records import MemoryRecordRepository
from adapters.memory.store import MemoryStore, Tables
from adapters.memory.team import MemoryInvitationRepository
from adapters.memory.webhooks import MemoryDeliveryRepository, MemoryWebhookRepository
from adapters.memory.workspaces import MemoryMembershipRepository, MemoryWorkspaceRepository
from ports.unit_of_work import UnitOfWork

# The repositories a unit of work carries, by the attribute `UnitOfWork` names them (a contract test checks that
# this covers the port exactly).
REPOSITORIES: dict[str, Callable[[Tables], object]] = {
    "users": MemoryUserRepository,
    "workspaces": MemoryWorkspaceRepository,
    "memberships": MemoryMembershipRepository,
    "refresh_tokens": MemoryRefreshTokenRepository,
    "invitations": MemoryInvitationRepository,
    "credits": MemoryCreditLedger,
    "credentials": MemoryCredentialRepository,
    "audit": MemoryAuditLogRepository,
    "records": MemoryRecordRepository,
    "attempts": MemoryAttemptLog,
    "jobs": MemoryJobRepository,
    "events": MemoryEventOutbox,
    "webhooks": MemoryWebhookRepository,
    "deliveries": MemoryDeliveryRepository,
}


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def _bind(self, tables: Tables) -> None:
        self._tables = tables
        for name, repository in REPOSITORIES.items():
            setattr(self, name, repository(tables))

    async def __aenter__(self) -> Self:
        await self._store.write_lock.acquire()
        self._bind(self._store.tables.copy())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store.write_lock.release()

    async def commit(self) -> None:
        if not self._tables.aborted:
            self._store.tables = self._tables
        self._bind(self._store.tables.copy())
