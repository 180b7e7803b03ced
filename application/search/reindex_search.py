"""Rebuilding the search index from the records while searches keep answering, and what admins see of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from application.search.search_sink import SearchSink
from domain.kernel.errors import DomainError
from domain.replication.replication import ConsumerStatus, Position
from domain.search.reindex import Reindex, ReindexPhase
from domain.search.search import document_of
from ports.records import RecordReader
from ports.replication import ReplicationReader
from ports.search import Reindexes, SearchIndexBuilds, SearchSource
from ports.system import Clock

Progress = Callable[[Reindex], None]


@dataclass(slots=True, kw_only=True, frozen=True)
class ReindexTuning:
    batch: int = 500  # records per bulk write, events per catch-up read


class RunReindex:
    """Rebuild the index: every record copied into a new index beside the live one, then the outbox's events
    since the copy began applied to it (what changed during the copy), then the new index made live in one step
    and the old one dropped, then the events of the swap itself applied.

    Why nothing is lost: the copy reads each record after the outbox position taken when it began, so a record
    is copied as it was then or later; every change after that position has an event, applied by the first
    catch-up (up to a second position) or the second (after the swap, from that position on); events after
    the second catch-up are read by the index's own consumer after the swap, so they reach the new index.
    Documents carry their record's version, so applying a change twice, or an older one late, changes nothing.

    Rules: progress is saved after every batch (a run that stops saving is abandoned after a minute and no
    longer blocks the next); a document the new index refuses is counted with its reason and the rebuild goes
    on; an engine that goes away fails the run, drops the new index and leaves the live one as it was.
    """

    def __init__(
        self,
        builds: SearchIndexBuilds,
        source: SearchSource,
        reindexes: Reindexes,
        outbox: ReplicationReader,
        records: RecordReader,
        clock: Clock,
        tuning: ReindexTuning,
    ) -> None:
        self._builds, self._source, self._reindexes = builds, source, reindexes
        self._outbox, self._records, self._clock, self._batch = outbox, records, clock, tuning.batch

    async def __call__(self, reindex: Reindex, progress: Progress | None = None) -> Reindex:
        step = _Steps(self._reindexes, self._clock, reindex, progress)
        swapped = False
        try:
            since = await self._outbox.head()
            name, target = await self._builds.start()
            await step.save(step.run.building(name, self._clock.now()))
            after = None
            while page := await self._source.records_after(after, self._batch):
                refused = await target.write([document_of(r, r.version) for r in page], [])
                await step.moved(ReindexPhase.COPYING, copied=len(page), refused=refused)
                after = page[-1].id
            sink = SearchSink(target, self._records)
            since = await self._catch_up(sink, since, step, ReindexPhase.CATCHING_UP)
            await self._builds.swap(name)
            swapped = True
            await self._catch_up(sink, since, step, ReindexPhase.SWAPPED)
            return await step.save(step.run.succeeded(self._clock.now()))
        except (Exception, asyncio.CancelledError) as exc:
            why = exc.message if isinstance(exc, DomainError) else f"stopped: {type(exc).__name__}"
            await step.save(step.run.failed_with(why, self._clock.now()))
            if not swapped and step.run.index is not None:
                await self._builds.drop(step.run.index)
            if isinstance(exc, DomainError):
                return step.run
            raise

    async def _catch_up(self, sink: SearchSink, since: Position, step: _Steps, phase: ReindexPhase) -> Position:
        while events := await self._outbox.events_after(since, self._batch):
            refused = await sink.apply([event for _, event in events])
            await step.moved(phase, caught_up=len(events), refused=refused)
            since = events[-1][0]
            if len(events) < self._batch:
                break
        await step.moved(phase, refused={})
        return since


class _Steps:
    """The run as it moves, saved at every step."""

    def __init__(self, reindexes: Reindexes, clock: Clock, run: Reindex, progress: Progress | None) -> None:
        self._reindexes, self._clock, self.run, self._progress = reindexes, clock, run, progress

    async def save(self, run: Reindex) -> Reindex:
        self.run = run
        await self._reindexes.save(run)
        if self._progress is not None:
            self._progress(run)
        return run

    async def moved(
        self, phase: ReindexPhase, *, copied: int = 0, caught_up: int = 0, refused: dict[UUID, str]
    ) -> None:
        await self.save(
            self.run.progressed(self._clock.now(), phase=phase, copied=copied, caught_up=caught_up, refused=refused)
        )


class ReindexInBackground:
    """Runs started by a request go on in this process after it is answered; stopping the process stops them
    (each recorded as failed, its new index dropped; the live index stays as it was)."""

    def __init__(self, run: RunReindex) -> None:
        self._run = run
        self._tasks: set[asyncio.Task[Reindex]] = set()

    def launch(self, reindex: Reindex) -> None:
        task = asyncio.create_task(self._run(reindex), name=f"reindex {reindex.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchStatus:
    index: str | None  # the live index (None: the engine cannot say)
    documents: int | None  # live documents in it (None: the engine cannot say)
    records: int  # in the database
    replication: ConsumerStatus
    last_error: str | None  # the engine's, now, or the newest dead letter's
    reindex: Reindex | None  # the last one, running or not


__all__ = ["ReindexInBackground", "ReindexTuning", "RunReindex", "SearchStatus"]
