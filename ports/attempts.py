"""Every provider attempt, kept: written with the record it enriched, read per record."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.enrichment.waterfall import RecordedAttempt


class AttemptLog(Protocol):
    @abstractmethod
    async def add(self, attempts: list[RecordedAttempt]) -> None: ...


class AttemptReader(Protocol):
    @abstractmethod
    async def for_record(self, workspace_id: UUID, record_id: UUID, limit: int) -> list[RecordedAttempt]:
        """The record's attempts, newest first; another workspace's record has none."""
