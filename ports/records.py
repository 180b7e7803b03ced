"""Records: written inside a unit of work, read without one."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.enrichment.schema import EntityKind
from domain.kernel.pagination import Page, PageRequest
from domain.records.record import Record, RecordStatus


@dataclass(slots=True, kw_only=True, frozen=True)
class RecordFilter:
    kind: EntityKind | None = None
    status: RecordStatus | None = None
    domain: str | None = None  # exact, lower-case


class RecordRepository(Protocol):
    @abstractmethod
    async def add(self, record: Record) -> None: ...

    @abstractmethod
    async def add_many(self, records: list[Record]) -> None:
        """Insert them all in one go (a job's inline records)."""

    @abstractmethod
    async def get_for_update(self, workspace_id: UUID, record_id: UUID) -> Record | None:
        """Read and lock the record until the transaction ends; another workspace's is None."""

    @abstractmethod
    async def lock_many(self, workspace_id: UUID, record_ids: list[UUID]) -> dict[UUID, Record]:
        """`get_for_update` for many: those that exist, by id, locked until the transaction ends."""

    @abstractmethod
    async def save(self, record: Record) -> None:
        """Persist inputs, fields, provenance, status and updated_at as the record's next version (the record's
        `version` moves on too)."""

    @abstractmethod
    async def save_many(self, records: list[Record]) -> None:
        """`save` each, in one go."""

    @abstractmethod
    async def delete(self, workspace_id: UUID, record_id: UUID) -> int | None:
        """The version its deletion is (one past its last), or None if it did not exist."""


class RecordRepositories(Protocol):
    """What a unit of work carries for records."""

    records: RecordRepository


class RecordReader(Protocol):
    @abstractmethod
    async def get(self, workspace_id: UUID, record_id: UUID) -> Record | None: ...

    @abstractmethod
    async def get_many(self, workspace_id: UUID, record_ids: list[UUID]) -> list[Record]:
        """Those of the ids that are the workspace's records, in no particular order."""

    @abstractmethod
    async def list(self, workspace_id: UUID, page: PageRequest, where: RecordFilter) -> Page[Record]:
        """Newest first."""
