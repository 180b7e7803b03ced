"""The steps of an enrichment job, each run in its own container scope.

Temporal activities and the inline orchestrator both drive jobs through
this class, so a job runs the same use cases whichever runs it: begin (plan
the batches), enrich batches of records with bounded concurrency, finish.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from dishka import AsyncContainer

from application.job.begin_job import BeginJob, BeginJobCommand, JobPlan
from application.job.enrich_job_item import EnrichJobItem, ItemOutcome, ItemWork, SaveJobItems
from application.job.finish_job import FinishJob, FinishJobCommand
from application.job.load_job_batch import JobStopped, LoadJobBatch, LoadJobBatchQuery
from domain.kernel.errors import ServiceUnavailable

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


class StopWatch:
    """Asks whether the job should stop at most once per interval, however many records ask."""

    def __init__(self, check: Callable[[], Awaitable[bool]], interval: float) -> None:
        self._check, self._interval = check, interval
        self._next = 0.0
        self._stopped = False
        self._lock = asyncio.Lock()

    async def stopped(self) -> bool:
        if not self._stopped and time.monotonic() >= self._next:
            async with self._lock:
                if time.monotonic() >= self._next:
                    self._stopped = await self._check()
                    self._next = time.monotonic() + self._interval
        return self._stopped

    async def sleep(self, seconds: float) -> bool:
        """Sleep `seconds`, waking to look for a stop; whether the job goes on."""
        until = time.monotonic() + seconds
        while not await self.stopped():
            left = until - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, self._interval))
        return False


async def run_all(work: list[Coroutine[Any, Any, None]]) -> None:
    """Run them concurrently; the first failure cancels the rest and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as tasks:
            for coroutine in work:
                tasks.create_task(coroutine)
    except ExceptionGroup as group:
        first = group.exceptions[0]
        while isinstance(first, ExceptionGroup):
            first = first.exceptions[0]
        raise first from None


class GroupInterrupted(ServiceUnavailable):
    """The group holding this record stopped before it was saved: the batch is tried again."""


class GroupSaver:
    """Saves records' outcomes in groups, one transaction each: while a group commits the next one
    gathers. Every record in flight would otherwise take the workspace's credit account lock in
    a transaction of its own; together they take it once.

    The record that commits a group (the first to arrive while none is committing) may be stopped
    mid-commit, by a cancel or by a sibling's failure; the records waiting on it, some from other
    batches, then fail with `GroupInterrupted` instead of waiting for ever."""

    def __init__(self, commit: Callable[[list[ItemOutcome]], Awaitable[None]], max_group: int = 64) -> None:
        self._commit_outcomes = commit
        self._max_group = max_group
        self._pending: list[tuple[ItemOutcome, asyncio.Future[None]]] = []
        self._saving = False

    async def save(self, outcome: ItemOutcome) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, future))
        if not self._saving:
            self._saving = True
            group: list[tuple[ItemOutcome, asyncio.Future[None]]] = []
            try:
                while self._pending:
                    group, self._pending = self._pending[: self._max_group], self._pending[self._max_group :]
                    await self._commit(group)
            except BaseException:
                waiting, self._pending = group + self._pending, []
                for _, other in waiting:
                    if other is not future and not other.done():
                        other.set_exception(GroupInterrupted("the record's group was stopped before it was saved"))
                raise
            finally:
                self._saving = False
        await future

    async def _commit(self, group: list[tuple[ItemOutcome, asyncio.Future[None]]]) -> None:
        try:
            await self._commit_outcomes([outcome for outcome, _ in group])
        except Exception as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
        else:
            for _, future in group:
                if not future.done():
                    future.set_result(None)


class JobRunner:
    def __init__(self, container: AsyncContainer, tuning: JobTuning) -> None:
        self._container = container
        self.tuning = tuning
        self._savers: dict[UUID, tuple[GroupSaver, int]] = {}  # per job batching here: (saver, batches)

    async def begin(self, workspace_id: UUID, job_id: UUID) -> JobPlan:
        async with self._container() as scope:
            begin = await scope.get(BeginJob)
            return await begin(
                BeginJobCommand(workspace_id=workspace_id, job_id=job_id, batch_size=self.tuning.batch_size)
            )

    async def run_batch(
        self,
        workspace_id: UUID,
        job_id: UUID,
        start: int,
        end: int,
        *,
        progress: Callable[[int], None] = lambda _: None,
    ) -> BatchResult:
        async with self._container() as scope:
            load = await scope.get(LoadJobBatch)
            work = await load(LoadJobBatchQuery(workspace_id=workspace_id, job_id=job_id, start=start, end=end))
            stopped = await scope.get(JobStopped)
        if not work:
            return BatchResult(done=0, stopped=await stopped(workspace_id, job_id))
        watch = StopWatch(lambda: stopped(workspace_id, job_id), self.tuning.stop_check_seconds)
        slots = asyncio.Semaphore(self.tuning.per_batch)
        saver = self._saver_for(job_id)
        done = 0

        async def unslotted(seconds: float) -> bool:
            """A record waiting to ask a pending lookup again is not asking: its slot is free meanwhile."""
            slots.release()
            try:
                return await watch.sleep(seconds)
            finally:
                await slots.acquire()

        async def one(item: ItemWork) -> None:
            nonlocal done
            async with slots:  # the job's concurrency bounds the records asking providers
                if await watch.stopped():
                    return
                async with self._container() as scope:
                    enrich = await scope.get(EnrichJobItem)
                    outcome = await enrich(item, pause=unslotted)
            await saver.save(outcome)  # the slot is free meanwhile: saving is not asking
            done += 1
            progress(done)

        try:
            await run_all([one(item) for item in work])
        finally:
            self._release_saver(job_id)
        return BatchResult(done=done, stopped=await watch.stopped())

    def _saver_for(self, job_id: UUID) -> GroupSaver:
        """One saver per job while batches of it run here: a group is one job's, so one workspace's."""
        saver, batches = self._savers.get(job_id) or (GroupSaver(self._save_items), 0)
        self._savers[job_id] = (saver, batches + 1)
        return saver

    def _release_saver(self, job_id: UUID) -> None:
        saver, batches = self._savers[job_id]
        if batches == 1:
            del self._savers[job_id]
        else:
            self._savers[job_id] = (saver, batches - 1)

    async def _save_items(self, outcomes: list[ItemOutcome]) -> None:
        async with self._container() as scope:
            save = await scope.get(SaveJobItems)
            await save(outcomes)

    async def finish(self, workspace_id: UUID, job_id: UUID, error: str | None) -> None:
        async with self._container() as scope:
            finish = await scope.get(FinishJob)
            job = await finish(FinishJobCommand(workspace_id=workspace_id, job_id=job_id, error=error))
        log.info("job_finished", job_id=str(job_id), status=job.status.value, credits_spent=job.credits_spent)
