"""The audit log: written inside the unit of work of the change it records."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.audit.entry import AuditEntry
from domain.kernel.pagination import Page, PageRequest


class AuditLogRepository(Protocol):
    @abstractmethod
    async def add(self, entry: AuditEntry) -> None:
        """Raise `Conflict` if the id is taken. Entries are never changed or removed one by one."""


class AuditRepositories(Protocol):
    """What a unit of work carries for the audit log."""

    audit: AuditLogRepository


class AuditLogReader(Protocol):
    @abstractmethod
    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[AuditEntry]:
        """The workspace's entries, newest first."""
