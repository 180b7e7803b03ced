"""The steps of a job, each in a unit of work of its own: what the job runner calls, the composition root provides."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol
from uuid import UUID

from application.enrichment.pending_lookups import Pause
from application.job.begin_job import JobPlan
from application.job.enrich_job_item import ItemOutcome, ItemWork
from domain.jobs.job import Job

Enrich = Callable[[ItemWork, Pause], Awaitable[ItemOutcome]]


class JobSteps(Protocol):
    @abstractmethod
    async def begin(self, workspace_id: UUID, job_id: UUID, batch_size: int) -> JobPlan: ...

    @abstractmethod
    async def load_batch(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> list[ItemWork]: ...

    @abstractmethod
    async def stopped(self, workspace_id: UUID, job_id: UUID) -> bool:
        """Whether the job was cancelled or finished meanwhile."""

    @abstractmethod
    def enricher(self) -> AbstractAsyncContextManager[Enrich]:
        """What enriches a batch's records, one at a time or together: it writes nothing, so one scope serves
        them all (and, within it, each provider's key is read once)."""

    @abstractmethod
    async def save(self, outcomes: list[ItemOutcome]) -> None:
        """One transaction for all of them."""

    @abstractmethod
    async def finish(self, workspace_id: UUID, job_id: UUID, error: str | None) -> Job: ...
