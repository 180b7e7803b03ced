"""Jobs run in this process: the orchestrator of the memory profile, and of `local` without Temporal.

A job whose process stops is left `running`; the API resumes such jobs when
it starts again (`resume`), so on PostgreSQL they finish, late. Production
runs Temporal, which moves them to another worker at once.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import structlog

from application.job.concurrency import run_all
from application.job.job_runner import BatchResult, JobRunner
from domain.kernel.errors import DomainError, ServiceUnavailable
from ports.jobs import JobReader

log = structlog.get_logger("cascade.jobs")
BATCH_ATTEMPTS = 3  # a batch failing on infrastructure is tried again, then the job ends early


class InlineOrchestrator:
    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self._running: dict[UUID, asyncio.Task[None]] = {}
        self._resuming: asyncio.Task[None] | None = None

    async def start(self, workspace_id: UUID, job_id: UUID) -> None:
        if job_id in self._running:
            return
        task = asyncio.create_task(self._run(workspace_id, job_id), name=f"enrichment-job-{job_id}")
        self._running[job_id] = task
        task.add_done_callback(lambda _: self._running.pop(job_id, None))

    def resume_in_background(self, jobs: JobReader, limit: int = 1000) -> None:
        """Start again, without holding up start-up, the jobs a stopped process left queued or running
        (their done records are skipped, their charges replayed, not repeated). A database that is down
        now only means they are not resumed this time: the process starts all the same."""
        self._resuming = asyncio.create_task(self._resume(jobs, limit), name="resume-inline-jobs")

    async def _resume(self, jobs: JobReader, limit: int) -> None:
        try:
            unfinished = await jobs.unfinished(limit)
        except (DomainError, OSError) as exc:
            log.warning("jobs_not_resumed", error=str(exc))
            return
        for job in unfinished:
            await self.start(job.workspace_id, job.id)
        if unfinished:
            log.info("jobs_resumed", count=len(unfinished))

    async def wait(self, job_id: UUID) -> None:
        """Until the job's run in this process ends."""
        task = self._running.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        if self._resuming is not None:
            self._resuming.cancel()
            await asyncio.gather(self._resuming, return_exceptions=True)
        running = list(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _run(self, workspace_id: UUID, job_id: UUID) -> None:
        error: str | None = None
        try:
            plan = await self._runner.begin(workspace_id, job_id)
            slots = asyncio.Semaphore(self._runner.tuning.parallel_batches)
            stop = asyncio.Event()

            async def batch(start: int, end: int) -> None:
                async with slots:
                    if not stop.is_set() and (await self._batch(workspace_id, job_id, start, end)).stopped:
                        stop.set()

            await run_all([batch(start, end) for start, end in plan.batches])
        except asyncio.CancelledError:
            raise  # the process is stopping: the job stays running, as with a worker that died
        except Exception as exc:
            error = f"the run stopped early: {exc}" if isinstance(exc, DomainError | OSError) else "internal error"
            log.exception("job_run_failed", job_id=str(job_id))
        try:
            await self._runner.finish(workspace_id, job_id, error)
        except Exception:
            log.exception("job_not_finished", job_id=str(job_id))

    async def _batch(self, workspace_id: UUID, job_id: UUID, start: int, end: int) -> BatchResult:
        for attempt in range(1, BATCH_ATTEMPTS):
            try:
                return await self._runner.run_batch(workspace_id, job_id, start, end)
            except (ServiceUnavailable, OSError) as exc:
                log.warning("job_batch_retry", job_id=str(job_id), start=start, attempt=attempt, error=str(exc))
                await asyncio.sleep(attempt)
        return await self._runner.run_batch(workspace_id, job_id, start, end)
