"""Enrichment jobs and their items: written inside a unit of work, read without one."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.jobs.job import Job, JobItem, JobProgress
from domain.kernel.pagination import Page, PageRequest
from domain.records.record import Record


class JobRepository(Protocol):
    @abstractmethod
    async def add(self, job: Job, record_ids: list[UUID]) -> None:
        """The job with one pending item per record, numbered in order from 0."""

    @abstractmethod
    async def get_for_update(self, workspace_id: UUID, job_id: UUID) -> Job | None:
        """Read and lock the job until the transaction ends."""

    @abstractmethod
    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None: ...

    @abstractmethod
    async def save(self, job: Job) -> None:
        """Persist status, cancel_requested, credits_spent, final_progress, error, started_at and finished_at."""

    @abstractmethod
    async def finish_item(self, item: JobItem) -> bool:
        """Mark a pending item done with its outcome; False if it already was (a retry's duplicate)."""

    @abstractmethod
    async def finish_items(self, items: list[JobItem]) -> set[int]:
        """`finish_item` for many: the positions that were pending and are done now."""

    @abstractmethod
    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None: ...


class JobRepositories(Protocol):
    """What a unit of work carries for jobs."""

    jobs: JobRepository


@dataclass(slots=True, kw_only=True, frozen=True)
class ItemResult:
    item: JobItem
    record: Record | None  # as it is now; None if deleted


class JobReader(Protocol):
    @abstractmethod
    async def get(self, workspace_id: UUID, job_id: UUID) -> Job | None: ...

    @abstractmethod
    async def by_idempotency_key(self, workspace_id: UUID, key: str) -> Job | None: ...

    @abstractmethod
    async def progress(self, workspace_id: UUID, job_id: UUID) -> JobProgress | None: ...

    @abstractmethod
    async def pending_items(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> list[JobItem]:
        """The items of positions [start, end) not done yet, in order."""

    @abstractmethod
    async def results(self, workspace_id: UUID, job_id: UUID, *, after: int | None, limit: int) -> list[ItemResult]:
        """Items by position after `after`, each with its record, at most `limit`."""

    @abstractmethod
    async def unfinished(self, limit: int) -> list[Job]:
        """Queued and running jobs of every workspace, oldest first (for a process that runs jobs to resume)."""

    @abstractmethod
    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[Job]:
        """Newest first."""


class JobOrchestrator(Protocol):
    """Runs jobs somewhere: Temporal workflows, or tasks in this process."""

    @abstractmethod
    async def start(self, workspace_id: UUID, job_id: UUID) -> None:
        """Start the job's run; starting a job that already runs does nothing."""
