"""Replication on the memory and PostgreSQL adapters alike: each sink's position, in commit order; failures
retried, then dead letters that block nothing; what operators see and do."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.replication import PostgresReplicationReader
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from application.replication.drain_outbox import DrainOutbox
from domain.kernel.events import Event, EventType
from domain.kernel.pagination import PageRequest
from domain.replication.replication import START, RetryPolicy, SinkUnavailable
from ports.replication import ReplicationReader
from tests.conftest import Backend
from tests.support.builders.accounts import utc_now
from tests.support.clock import ManualClock

POLICY = RetryPolicy(max_attempts=3, first_wait_seconds=10, max_wait_seconds=60)


def event(workspace: UUID | None = None, n: int = 0) -> Event:
    return Event(id=uuid4(), workspace_id=workspace or uuid4(), type=EventType.RECORD_UPDATED,
                 data={"recordId": str(uuid4()), "n": n}, occurred_at=utc_now())  # fmt: skip


async def add(backend: Backend, *events: Event) -> None:
    """Add and commit the events, then wait until a sink may read them: until every transaction that began
    before theirs has ended, which on a shared server includes other test workers' (a snapshot's xmin spans
    every database of a server)."""
    async with backend.uow() as uow:
        await uow.events.add(list(events))
        await uow.commit()
    await readable(backend.replication, {e.id for e in events})


async def readable(reader: ReplicationReader, added: set[UUID]) -> None:
    for _ in range(200):
        if added <= {e.id for _, e in await reader.events_after(START, 10_000)}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the events never became readable: a transaction stayed open for 10 s")


class Sink:
    """Applies what it is given, but for the events named in `refuse`; down when `down`."""

    name = "test_sink"

    def __init__(self) -> None:
        self.applied: list[UUID] = []
        self.refuse: set[UUID] = set()
        self.down = False

    async def apply(self, events: list[Event]) -> dict[UUID, str]:
        if self.down:
            raise SinkUnavailable("the engine is away")
        self.applied += [e.id for e in events if e.id not in self.refuse]
        return {e.id: "mapper_parsing_exception: bad field" for e in events if e.id in self.refuse}


async def test_a_sink_reads_every_event_once_in_commit_order(backend: Backend) -> None:
    first, second, third = event(n=1), event(n=2), event(n=3)
    await add(backend, first, second)
    await add(backend, third)
    clock, sink = ManualClock(), Sink()
    drain = DrainOutbox(backend.uow(), clock, POLICY, batch=2)

    assert await drain(sink) == 2
    assert await drain(sink) == 1
    assert await drain(sink) == 0

    assert sink.applied == [*sorted([first.id, second.id], key=_order_in(backend, first, second)), third.id]
    status = await backend.replication.status(sink.name, clock.now())
    assert (status.applied, status.behind, status.retrying, status.dead) == (3, 0, 0, 0)


def _order_in(backend: Backend, first: Event, second: Event):  # type: ignore[no-untyped-def]
    """Events of one transaction: in id order on PostgreSQL, in the order added in memory."""
    added = [first.id, second.id]
    return (lambda i: i) if backend.name == "postgres" else added.index


async def test_sinks_keep_their_own_positions(backend: Backend) -> None:
    await add(backend, event(), event())
    clock = ManualClock()
    one, other = Sink(), Sink()
    other.name = "other_sink"
    drain = DrainOutbox(backend.uow(), clock, POLICY)

    await drain(one)
    assert (await backend.replication.status(other.name, clock.now())).behind == 2
    await drain(other)
    assert len(one.applied) == len(other.applied) == 2


async def test_a_failing_event_is_retried_then_dead_and_blocks_nothing(backend: Backend) -> None:
    bad, good, later = event(n=1), event(n=2), event(n=3)
    await add(backend, bad, good)
    clock, sink = ManualClock(), Sink()
    sink.refuse = {bad.id}
    drain = DrainOutbox(backend.uow(), clock, POLICY)

    await drain(sink)
    await add(backend, later)
    await drain(sink)
    assert sink.applied == [good.id, later.id]  # behind the failure, nothing waits
    assert (await backend.replication.status(sink.name, clock.now())).retrying == 1

    clock.advance(POLICY.first_wait_seconds)
    assert await drain(sink) == 1  # the retry, due
    clock.advance(POLICY.first_wait_seconds * 2)
    await drain(sink)  # the third attempt: out of attempts
    status = await backend.replication.status(sink.name, clock.now())
    assert (status.retrying, status.dead, status.behind) == (0, 1, 0)
    clock.advance(timedelta(days=1))
    assert await drain(sink) == 0  # a dead letter waits for an operator

    page = await backend.replication.dead_letters(sink.name, PageRequest(limit=10))
    (letter,) = page.items
    assert (letter.event_id, letter.attempts) == (bad.id, 3)
    assert letter.last_error.startswith("mapper_parsing_exception")
    inspected = await backend.replication.failure(sink.name, bad.id)
    assert inspected is not None
    assert inspected[1] == bad

    sink.refuse = set()
    assert await backend.replication.replay(sink.name, None, clock.now()) == 1
    assert await drain(sink) == 1
    assert sink.applied[-1] == bad.id
    status = await backend.replication.status(sink.name, clock.now())
    assert (status.dead, status.retrying, status.applied) == (0, 0, 3)


async def test_discarded_letters_are_forgotten(backend: Backend) -> None:
    bad = event()
    await add(backend, bad)
    clock, sink = ManualClock(), Sink()
    sink.refuse = {bad.id}
    drain = DrainOutbox(backend.uow(), clock, RetryPolicy(max_attempts=1))
    await drain(sink)

    assert await backend.replication.discard(sink.name, [uuid4()]) == 0
    assert await backend.replication.discard(sink.name, [bad.id]) == 1
    assert (await backend.replication.dead_letters(sink.name, PageRequest(limit=10))).items == []


async def test_an_unavailable_sink_moves_nothing(backend: Backend) -> None:
    await add(backend, event(), event())
    clock, sink = ManualClock(), Sink()
    sink.down = True
    drain = DrainOutbox(backend.uow(), clock, POLICY)

    with pytest.raises(SinkUnavailable):
        await drain(sink)
    status = await backend.replication.status(sink.name, clock.now())
    assert (status.behind, status.retrying, status.dead, status.applied) == (2, 0, 0, 0)

    sink.down = False
    assert await drain(sink) == 2


async def test_lag_is_the_age_of_the_oldest_event_not_applied(backend: Backend) -> None:
    clock = ManualClock(utc_now())
    await add(backend, event())
    status = await backend.replication.status("never_ran", clock.now() + timedelta(seconds=30))

    assert status.position == START
    assert status.updated_at is None
    assert status.behind == 1
    assert 29 <= status.seconds_behind <= 31


async def test_a_transaction_that_commits_late_is_not_skipped(
    migrated_url: str, clean_pool: AsyncConnectionPool
) -> None:
    """A transaction that took its id first and commits last: a position moved past the later one must not
    skip it. The sink sees neither until the first commits, then both, in the order they began."""
    early, late = event(n=1), event(n=2)
    sink, clock = Sink(), ManualClock(utc_now())
    drain = DrainOutbox(PostgresUnitOfWork(clean_pool), clock, POLICY)
    async with await psycopg.AsyncConnection.connect(migrated_url) as slow:
        await slow.execute("SELECT pg_current_xact_id()")  # takes its transaction id now
        async with PostgresUnitOfWork(clean_pool) as uow:
            await uow.events.add([late])
            await uow.commit()
        await slow.execute(
            "INSERT INTO outbox_events (id, workspace_id, type, data, occurred_at) VALUES (%s, %s, %s, '{}', now())",
            (early.id, early.workspace_id, early.type.value),
        )
        assert await drain(sink) == 0  # the committed one waits behind the running one
        await slow.commit()
    assert await drain(sink) == 2
    assert sink.applied == [early.id, late.id]


async def test_one_drainer_per_sink_at_a_time(clean_pool: AsyncConnectionPool) -> None:
    added = event()
    async with PostgresUnitOfWork(clean_pool) as uow:
        await uow.events.add([added])
        await uow.commit()
    await readable(PostgresReplicationReader(clean_pool), {added.id})
    clock, sink = ManualClock(utc_now()), Sink()
    entered, release = asyncio.Event(), asyncio.Event()

    class SlowSink(Sink):
        async def apply(self, events: list[Event]) -> dict[UUID, str]:
            entered.set()
            await release.wait()
            return await super().apply(events)

    slow = SlowSink()
    first = asyncio.create_task(DrainOutbox(PostgresUnitOfWork(clean_pool), clock, POLICY)(slow))
    await entered.wait()
    assert await DrainOutbox(PostgresUnitOfWork(clean_pool), clock, POLICY)(sink) == 0  # held: it moves on
    release.set()
    assert await first == 1
    assert sink.applied == []
