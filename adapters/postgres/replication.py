"""Each sink's position in the outbox, in commit order (see migrations/postgres/015_replication.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.events import event_from_row
from adapters.postgres.pool import Connection, Repositories, connection
from domain.kernel.events import Event
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.replication.replication import MOST_BEHIND, START, ConsumerStatus, Failure, Position

# xid8 travels as text: psycopg has no loader for it, and its values are beyond no bigint in practice.
# One drainer per sink: a lease on the sink's row, taken in a short transaction and kept past it, so that the
# sink is applied with no transaction open (a slow engine would otherwise hold back every snapshot's xmin,
# and with it every sink's events and vacuum). Taking it locks the row: a second drainer waits for the first's
# transaction to end, then finds the lease taken.
HOLD = """
INSERT INTO replication_consumers (name, updated_at) VALUES (%(name)s, %(now)s) ON CONFLICT (name) DO NOTHING
"""
LEASE = """
UPDATE replication_consumers SET lease_token = %(token)s, leased_until = %(until)s
WHERE name = %(name)s AND (leased_until IS NULL OR leased_until <= %(now)s)
RETURNING txid::text, event_id
"""
RELEASE = """
UPDATE replication_consumers SET lease_token = NULL, leased_until = NULL
WHERE name = %(name)s AND lease_token = %(token)s
"""
# Below the snapshot's xmin every transaction has ended: none still running can add an event behind these.
EVENTS_AFTER = """
SELECT e.txid::text, e.id, e.workspace_id, e.type, e.data, e.occurred_at FROM outbox_events e
WHERE (e.txid, e.id) > (%(txid)s::text::xid8, %(id)s)
  AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.txid, e.id
LIMIT %(limit)s
"""
HEAD = """
SELECT e.txid::text, e.id FROM outbox_events e WHERE e.txid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.txid DESC, e.id DESC LIMIT 1
"""
ADVANCE = """
UPDATE replication_consumers
SET txid = %(txid)s::text::xid8, event_id = %(id)s, applied = applied + %(applied)s, updated_at = %(now)s,
    lease_token = NULL, leased_until = NULL
WHERE name = %(name)s AND lease_token = %(token)s
"""
FAILURE_COLUMNS = (
    "f.consumer, f.event_id, f.attempts, f.last_error, f.first_failed_at, f.last_failed_at, f.next_attempt_at"
)
DUE = """
SELECT f.consumer, f.event_id, f.attempts, f.last_error, f.first_failed_at, f.last_failed_at,
       f.next_attempt_at, e.id, e.workspace_id, e.type, e.data, e.occurred_at
FROM replication_failures f JOIN outbox_events e ON e.id = f.event_id
WHERE f.consumer = %(name)s AND f.next_attempt_at <= %(now)s
ORDER BY f.next_attempt_at, f.event_id
LIMIT %(limit)s
"""
SET_FAILURE = """
INSERT INTO replication_failures
    (consumer, event_id, attempts, last_error, first_failed_at, last_failed_at, next_attempt_at)
VALUES (%(consumer)s, %(event_id)s, %(attempts)s, %(last_error)s, %(first)s, %(last)s, %(next)s)
ON CONFLICT (consumer, event_id) DO UPDATE
SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, last_failed_at = EXCLUDED.last_failed_at,
    next_attempt_at = EXCLUDED.next_attempt_at
"""
CLEAR_FAILURES = "DELETE FROM replication_failures WHERE consumer = %(name)s AND event_id = ANY(%(ids)s)"
# Cheap whatever the backlog (health asks every time): events behind counted up to MOST_BEHIND, and the age
# of the next one to apply, read from the position index.
STATUS = """
SELECT c.txid::text, c.event_id, c.applied, c.updated_at,
       (SELECT count(*) FROM (SELECT FROM outbox_events e WHERE (e.txid, e.id) > (c.txid, c.event_id)
                              LIMIT %(most)s) AS waiting),
       (SELECT e.occurred_at FROM outbox_events e WHERE (e.txid, e.id) > (c.txid, c.event_id)
        ORDER BY e.txid, e.id LIMIT 1),
       (SELECT count(*) FILTER (WHERE f.next_attempt_at IS NOT NULL) FROM replication_failures f
        WHERE f.consumer = c.name),
       (SELECT count(*) FILTER (WHERE f.next_attempt_at IS NULL) FROM replication_failures f
        WHERE f.consumer = c.name)
FROM replication_consumers c WHERE c.name = %(name)s
"""
NEVER_RAN = """
SELECT (SELECT count(*) FROM (SELECT FROM outbox_events LIMIT %(most)s) AS waiting),
       (SELECT occurred_at FROM outbox_events ORDER BY txid, id LIMIT 1)
"""
DEAD_LETTERS = """
SELECT f.consumer, f.event_id, f.attempts, f.last_error, f.first_failed_at, f.last_failed_at,
       f.next_attempt_at FROM replication_failures f
WHERE f.consumer = %(name)s AND f.next_attempt_at IS NULL
  AND (f.last_failed_at, f.event_id) < (%(before_ts)s, %(before_id)s)
ORDER BY f.last_failed_at DESC, f.event_id DESC
LIMIT %(limit)s
"""
ONE_FAILURE = """
SELECT f.consumer, f.event_id, f.attempts, f.last_error, f.first_failed_at, f.last_failed_at,
       f.next_attempt_at, e.id, e.workspace_id, e.type, e.data, e.occurred_at
FROM replication_failures f LEFT JOIN outbox_events e ON e.id = f.event_id
WHERE f.consumer = %(name)s AND f.event_id = %(id)s
"""
# One more attempt each: a replayed letter that fails again is dead again at once, its error updated.
REPLAY = """
UPDATE replication_failures SET next_attempt_at = %(now)s
WHERE consumer = %(name)s AND next_attempt_at IS NULL AND (%(all)s OR event_id = ANY(%(ids)s))
"""
DISCARD = """
DELETE FROM replication_failures
WHERE consumer = %(name)s AND next_attempt_at IS NULL AND (%(all)s OR event_id = ANY(%(ids)s))
"""
FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


def position_of(txid: str, event_id: UUID) -> Position:
    return Position(txid=int(txid), event_id=event_id)


def failure_from_row(row: tuple[Any, ...]) -> Failure:
    consumer, event_id, attempts, error, first, last, next_at = row[:7]
    return Failure(
        consumer=consumer,
        event_id=event_id,
        attempts=attempts,
        last_error=error,
        first_failed_at=first,
        last_failed_at=last,
        next_attempt_at=next_at,
    )


class PostgresReplicationLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def hold(self, consumer: str, token: UUID, now: datetime, until: datetime) -> Position | None:
        await self._conn.execute(HOLD, {"name": consumer, "now": now})
        params = {"name": consumer, "token": token, "now": now, "until": until}
        row = await (await self._conn.execute(LEASE, params)).fetchone()
        return position_of(*row) if row else None

    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        params = {"txid": str(position.txid), "id": position.event_id, "limit": max(limit, 0)}
        rows = await (await self._conn.execute(EVENTS_AFTER, params)).fetchall()
        return [(position_of(row[0], row[1]), event_from_row(row[1:])) for row in rows]

    async def advance(self, consumer: str, token: UUID, position: Position, applied: int, now: datetime) -> bool:
        params = {"name": consumer, "token": token, "txid": str(position.txid), "id": position.event_id,
                  "applied": applied, "now": now}  # fmt: skip
        return (await self._conn.execute(ADVANCE, params)).rowcount == 1

    async def release(self, consumer: str, token: UUID) -> None:
        await self._conn.execute(RELEASE, {"name": consumer, "token": token})

    async def due(self, consumer: str, now: datetime, limit: int) -> list[tuple[Failure, Event]]:
        rows = await (await self._conn.execute(DUE, {"name": consumer, "now": now, "limit": max(limit, 0)})).fetchall()
        return [(failure_from_row(row), event_from_row(row[7:])) for row in rows]

    async def set_failures(self, failures: list[Failure]) -> None:
        if not failures:
            return
        async with self._conn.cursor() as cursor:
            await cursor.executemany(
                SET_FAILURE,
                [
                    {
                        "consumer": f.consumer,
                        "event_id": f.event_id,
                        "attempts": f.attempts,
                        "last_error": f.last_error,
                        "first": f.first_failed_at,
                        "last": f.last_failed_at,
                        "next": f.next_attempt_at,
                    }
                    for f in failures
                ],
            )

    async def clear_failures(self, consumer: str, event_ids: list[UUID]) -> None:
        if event_ids:
            await self._conn.execute(CLEAR_FAILURES, {"name": consumer, "ids": event_ids})


class PostgresReplicationReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def status(self, consumer: str, now: datetime) -> ConsumerStatus:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(STATUS, {"name": consumer, "most": MOST_BEHIND})).fetchone()
            if row is None:
                behind, oldest = await (await conn.execute(NEVER_RAN, {"most": MOST_BEHIND})).fetchone() or (0, None)
                return ConsumerStatus(
                    name=consumer,
                    position=Position(),
                    applied=0,
                    behind=behind,
                    seconds_behind=_age(oldest, now),
                    retrying=0,
                    dead=0,
                    updated_at=None,
                )
        txid, event_id, applied, updated_at, behind, oldest, retrying, dead = row
        return ConsumerStatus(
            name=consumer,
            position=position_of(txid, event_id),
            applied=applied,
            behind=behind,
            seconds_behind=_age(oldest, now),
            retrying=retrying,
            dead=dead,
            updated_at=updated_at,
        )

    async def dead_letters(self, consumer: str, page: PageRequest) -> Page[Failure]:
        before = page.after or Cursor(created_at=FAR_FUTURE, id=UUID(int=(1 << 128) - 1))
        params = {"name": consumer, "before_ts": before.created_at, "before_id": before.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(DEAD_LETTERS, params)).fetchall()
        return page_of(
            [failure_from_row(r) for r in rows],
            page.limit,
            lambda f: Cursor(created_at=f.last_failed_at, id=f.event_id),
        )

    async def failure(self, consumer: str, event_id: UUID) -> tuple[Failure, Event | None] | None:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(ONE_FAILURE, {"name": consumer, "id": event_id})).fetchone()
        if row is None:
            return None
        return failure_from_row(row), (event_from_row(row[7:]) if row[7] is not None else None)

    async def replay(self, consumer: str, event_ids: list[UUID] | None, now: datetime) -> int:
        return await self._change(REPLAY, {"name": consumer, "now": now, **_which(event_ids)})

    async def head(self) -> Position:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(HEAD)).fetchone()
        return position_of(*row) if row else START

    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        async with connection(self._pool) as conn:
            return await PostgresReplicationLog(conn).events_after(position, limit)

    async def discard(self, consumer: str, event_ids: list[UUID] | None) -> int:
        return await self._change(DISCARD, {"name": consumer, **_which(event_ids)})

    async def _change(self, statement: str, params: dict[str, Any]) -> int:
        async with connection(self._pool) as conn, conn.transaction():
            return (await conn.execute(statement, params)).rowcount


def _which(event_ids: list[UUID] | None) -> dict[str, Any]:
    return {"all": event_ids is None, "ids": event_ids or []}


def _age(oldest: datetime | None, now: datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


# This context's repositories in a unit of work (`ReplicationRepositories` in ports/replication.py).
REPOSITORIES: Repositories = {
    "replication": PostgresReplicationLog,
}
