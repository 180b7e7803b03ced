"""Temporal activities: each resolves its use cases from the container through the JobRunner.

Each takes and returns one dataclass of `adapters.temporal.contracts`; the workflows call them as methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.temporal.contracts import (
    BEGIN_JOB,
    ENRICH_BATCH,
    FINISH_JOB,
    NOT_FOUND,
    BatchDone,
    BatchRef,
    JobEnd,
    JobPlanned,
    JobRef,
)
from application.job.job_runner import JobRunner
from domain.kernel.errors import NotFound


class JobActivities:
    def __init__(self, runner: JobRunner, *, heartbeat_timeout_seconds: float, batch_attempts: int) -> None:
        self._runner = runner
        self._heartbeat_every = heartbeat_timeout_seconds / 4
        self._heartbeat_timeout = heartbeat_timeout_seconds
        self._batch_attempts = batch_attempts

    @activity.defn(name=BEGIN_JOB)
    async def begin_job(self, job: JobRef) -> JobPlanned:
        with _not_found_is_final():
            plan = await self._runner.begin(UUID(job.workspace_id), UUID(job.job_id))
        return JobPlanned(
            batches=tuple((start, end) for start, end in plan.batches),
            parallel_batches=self._runner.tuning.parallel_batches,
            heartbeat_timeout_seconds=self._heartbeat_timeout,
            batch_attempts=self._batch_attempts,
        )

    @activity.defn(name=ENRICH_BATCH)
    async def enrich_batch(self, batch: BatchRef) -> BatchDone:
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done = count

        async def beat() -> None:
            # Heartbeats prove the worker alive while a slow provider holds every slot;
            # a dead worker stops them and Temporal runs the batch again elsewhere.
            while True:
                activity.heartbeat(done)
                await asyncio.sleep(self._heartbeat_every)

        heart = asyncio.create_task(beat())
        try:
            with _not_found_is_final():
                result = await self._runner.run_batch(
                    UUID(batch.workspace_id), UUID(batch.job_id), batch.start, batch.end, progress=progress
                )
        finally:
            heart.cancel()
        return BatchDone(done=result.done, stopped=result.stopped)

    @activity.defn(name=FINISH_JOB)
    async def finish_job(self, end: JobEnd) -> None:
        with _not_found_is_final():
            await self._runner.finish(UUID(end.workspace_id), UUID(end.job_id), end.error)

    def all(self) -> list[Any]:
        return [self.begin_job, self.enrich_batch, self.finish_job]


@contextmanager
def _not_found_is_final() -> Iterator[None]:
    """A job that is gone will not come back: retrying is pointless."""
    try:
        yield
    except NotFound as exc:
        raise ApplicationError(exc.message, type=NOT_FOUND, non_retryable=True) from exc
