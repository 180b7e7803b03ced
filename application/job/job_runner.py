"""A job's run: begin (plan the batches), enrich batches of records with bounded concurrency, finish.

Temporal activities and the in-process orchestrator both drive jobs through this class, so a job runs the same
steps whichever runs it; each step is a unit of work of its own (`JobSteps`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import structlog

from application.job.begin_job import JobPlan
from application.job.concurrency import GroupSaver, StopCheck, run_all
from application.job.enrich_job_item import ItemWork
from application.job.steps import Enrich, JobSteps

log = structlog.get_logger("cascade.jobs")


@dataclass(slots=True, kw_only=True, frozen=True)
class JobTuning:
    batch_size: int = 100  # records per batch (per Temporal activity)
    concurrency: int = 32  # records in flight per job
    parallel_batches: int = 4  # batches in flight per job; each runs concurrency / parallel_batches records at once
    stop_check_seconds: float = 0.5  # how often a running batch looks for a cancel

    @property
    def per_batch(self) -> int:
        return max(1, math.ceil(self.concurrency / self.parallel_batches))


@dataclass(slots=True, kw_only=True, frozen=True)
class BatchResult:
    done: int  # items this call finished
    stopped: bool  # the job was cancelled or finished meanwhile


class JobRunner:
    def __init__(self, steps: JobSteps, tuning: JobTuning) -> None:
        self._steps = steps
        self.tuning = tuning
        self._savers: dict[UUID, tuple[GroupSaver, int]] = {}  # per job batching here: (saver, batches)

    async def begin(self, workspace_id: UUID, job_id: UUID) -> JobPlan:
        return await self._steps.begin(workspace_id, job_id, self.tuning.batch_size)

    async def run_batch(
        self,
        workspace_id: UUID,
        job_id: UUID,
        start: int,
        end: int,
        *,
        progress: Callable[[int], None] = lambda _: None,
    ) -> BatchResult:
        work = await self._steps.load_batch(workspace_id, job_id, start, end)
        if not work:
            return BatchResult(done=0, stopped=await self._steps.stopped(workspace_id, job_id))
        check = StopCheck(lambda: self._steps.stopped(workspace_id, job_id), self.tuning.stop_check_seconds)
        slots = asyncio.Semaphore(self.tuning.per_batch)
        saver = self._saver_for(job_id)
        done = 0

        async def unslotted(seconds: float) -> bool:
            """A record waiting to ask a pending lookup again is not asking: its slot is free meanwhile."""
            slots.release()
            try:
                return await check.sleep(seconds)
            finally:
                await slots.acquire()

        async def one(item: ItemWork, enrich: Enrich) -> None:
            nonlocal done
            async with slots:  # the job's concurrency bounds the records asking providers
                if await check.stopped():
                    return
                outcome = await enrich(item, unslotted)
            await saver.save(outcome)  # the slot is free meanwhile: saving is not asking
            done += 1
            progress(done)

        try:
            async with self._steps.enricher() as enrich:
                await run_all([one(item, enrich) for item in work])
        finally:
            self._release_saver(job_id)
        return BatchResult(done=done, stopped=await check.stopped())

    def _saver_for(self, job_id: UUID) -> GroupSaver:
        """One saver per job while batches of it run here: a group is one job's, so one workspace's."""
        saver, batches = self._savers.get(job_id) or (GroupSaver(self._steps.save), 0)
        self._savers[job_id] = (saver, batches + 1)
        return saver

    def _release_saver(self, job_id: UUID) -> None:
        saver, batches = self._savers[job_id]
        if batches == 1:
            del self._savers[job_id]
        else:
            self._savers[job_id] = (saver, batches - 1)

    async def finish(self, workspace_id: UUID, job_id: UUID, error: str | None) -> None:
        job = await self._steps.finish(workspace_id, job_id, error)
        log.info("job_finished", job_id=str(job_id), status=job.status.value, credits_spent=job.credits_spent)
