"""Temporal activities: each resolves its use cases from the container through the JobRunner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.kernel.errors import NotFound
from entrypoints.worker.job_runner import JobRunner


class JobActivities:
    def __init__(self, runner: JobRunner, *, heartbeat_timeout_seconds: float, batch_attempts: int) -> None:
        self._runner = runner
        self._heartbeat_every = heartbeat_timeout_seconds / 4
        self._heartbeat_timeout = heartbeat_timeout_seconds
        self._batch_attempts = batch_attempts

    @activity.defn(name="begin_job")
    async def begin_job(self, workspace_id: str, job_id: str) -> dict[str, Any]:
        with _not_found_is_final():
            plan = await self._runner.begin(UUID(workspace_id), UUID(job_id))
        return {
            "batches": [list(b) for b in plan.batches],
            "parallelBatches": self._runner.tuning.parallel_batches,
            "heartbeatTimeoutSeconds": self._heartbeat_timeout,
            "batchAttempts": self._batch_attempts,
        }

    @activity.defn(name="enrich_batch")
    async def enrich_batch(self, workspace_id: str, job_id: str, start: int, end: int) -> dict[str, Any]:
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
                result = await self._runner.run_batch(UUID(workspace_id), UUID(job_id), start, end, progress=progress)
        finally:
            heart.cancel()
        return {"done": result.done, "stopped": result.stopped}

    @activity.defn(name="finish_job")
    async def finish_job(self, workspace_id: str, job_id: str, error: str | None) -> None:
        with _not_found_is_final():
            await self._runner.finish(UUID(workspace_id), UUID(job_id), error)

    def all(self) -> list[Any]:
        return [self.begin_job, self.enrich_batch, self.finish_job]


@contextmanager
def _not_found_is_final() -> Iterator[None]:
    """A job that is gone will not come back: retrying is pointless."""
    try:
        yield
    except NotFound as exc:
        raise ApplicationError(exc.message, type="NotFound", non_retryable=True) from exc
