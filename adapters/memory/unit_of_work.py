from __future__ import annotations

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


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def _bind(self, tables: Tables) -> None:
        self._tables = tables
        self.users = MemoryUserRepository(tables)
        self.workspaces = MemoryWorkspaceRepository(tables)
        self.memberships = MemoryMembershipRepository(tables)
        self.refresh_tokens = MemoryRefreshTokenRepository(tables)
        self.invitations = MemoryInvitationRepository(tables)
        self.credits = MemoryCreditLedger(tables)
        self.credentials = MemoryCredentialRepository(tables)
        self.audit = MemoryAuditLogRepository(tables)
        self.records = MemoryRecordRepository(tables)
        self.attempts = MemoryAttemptLog(tables)
        self.jobs = MemoryJobRepository(tables)
        self.events = MemoryEventOutbox(tables)
        self.webhooks = MemoryWebhookRepository(tables)
        self.deliveries = MemoryDeliveryRepository(tables)

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
