"""Concurrency for a job's records: run them together, check for a stop cheaply, save them in groups."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from application.job.enrich_job_item import ItemOutcome
from domain.kernel.errors import ServiceUnavailable


class StopCheck:
    """A throttled cancellation check: asks whether the job should stop at most once per interval, however many
    records ask."""

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
