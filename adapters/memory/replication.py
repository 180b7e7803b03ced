from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables
from domain.kernel.events import Event
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.replication.replication import MOST_BEHIND, START, ConsumerStatus, Failure, Position


def _position(tables: Tables, event: Event) -> Position:
    return Position(txid=tables.event_order[event.id], event_id=event.id)


def _after(tables: Tables, position: Position) -> list[tuple[Position, Event]]:
    placed = ((_position(tables, e), e) for e in tables.events.values())
    return sorted((p for p in placed if p[0] > position), key=lambda p: p[0])


class MemoryReplicationLog:
    """Transactions here run one at a time, and adding an event commits it in the order it was added."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def hold(self, consumer: str, token: UUID, now: datetime, until: datetime) -> Position | None:
        position, _, _ = self._t.consumers.setdefault(consumer, (START, 0, now))
        lease = self._t.replication_leases.get(consumer)
        if lease is not None and lease[1] > now:
            return None
        self._t.replication_leases[consumer] = (token, until)
        return position

    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        return _after(self._t, position)[: max(limit, 0)]

    async def advance(self, consumer: str, token: UUID, position: Position, applied: int, now: datetime) -> bool:
        if not self._holds(consumer, token):
            return False
        _, before, _ = self._t.consumers[consumer]
        self._t.consumers[consumer] = (position, before + applied, now)
        del self._t.replication_leases[consumer]
        return True

    async def release(self, consumer: str, token: UUID) -> None:
        if self._holds(consumer, token):
            del self._t.replication_leases[consumer]

    def _holds(self, consumer: str, token: UUID) -> bool:
        lease = self._t.replication_leases.get(consumer)
        return lease is not None and lease[0] == token

    async def due(self, consumer: str, now: datetime, limit: int) -> list[tuple[Failure, Event]]:
        due = [
            f
            for (name, _), f in self._t.replication_failures.items()
            if name == consumer and f.next_attempt_at is not None and f.next_attempt_at <= now
        ]
        due.sort(key=lambda f: (f.next_attempt_at, f.event_id))
        return [(f, self._t.events[f.event_id]) for f in due[: max(limit, 0)] if f.event_id in self._t.events]

    async def set_failures(self, failures: list[Failure]) -> None:
        for failure in failures:
            kept = self._t.replication_failures.get((failure.consumer, failure.event_id))
            first = kept.first_failed_at if kept is not None else failure.first_failed_at
            self._t.replication_failures[(failure.consumer, failure.event_id)] = replace(failure, first_failed_at=first)

    async def clear_failures(self, consumer: str, event_ids: list[UUID]) -> None:
        for event_id in event_ids:
            self._t.replication_failures.pop((consumer, event_id), None)


class MemoryReplicationReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def status(self, consumer: str, now: datetime) -> ConsumerStatus:
        tables = self._store.tables
        position, applied, updated_at = tables.consumers.get(consumer, (START, 0, None))
        behind = [e for _, e in _after(tables, position)][:MOST_BEHIND]
        failures = [f for (name, _), f in tables.replication_failures.items() if name == consumer]
        oldest = behind[0].occurred_at if behind else None
        return ConsumerStatus(
            name=consumer,
            position=position,
            applied=applied,
            behind=len(behind),
            seconds_behind=max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
            retrying=sum(1 for f in failures if not f.dead),
            dead=sum(1 for f in failures if f.dead),
            updated_at=updated_at,
        )

    async def dead_letters(self, consumer: str, page: PageRequest) -> Page[Failure]:
        dead = [f for (name, _), f in self._store.tables.replication_failures.items() if name == consumer and f.dead]
        dead.sort(key=lambda f: (f.last_failed_at, f.event_id), reverse=True)
        if page.after is not None:
            after = (page.after.created_at, page.after.id)
            dead = [f for f in dead if (f.last_failed_at, f.event_id) < after]
        return page_of(dead[: page.limit + 1], page.limit, lambda f: Cursor(created_at=f.last_failed_at, id=f.event_id))

    async def failure(self, consumer: str, event_id: UUID) -> tuple[Failure, Event | None] | None:
        tables = self._store.tables
        found = tables.replication_failures.get((consumer, event_id))
        return (found, tables.events.get(event_id)) if found is not None else None

    async def replay(self, consumer: str, event_ids: list[UUID] | None, now: datetime) -> int:
        return await self._change(consumer, event_ids, lambda f: replace(f, next_attempt_at=now))

    async def head(self) -> Position:
        tables = self._store.tables
        return max((_position(tables, e) for e in tables.events.values()), default=START)

    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        return _after(self._store.tables, position)[: max(limit, 0)]

    async def discard(self, consumer: str, event_ids: list[UUID] | None) -> int:
        return await self._change(consumer, event_ids, lambda f: None)

    async def _change(
        self, consumer: str, event_ids: list[UUID] | None, change: Callable[[Failure], Failure | None]
    ) -> int:
        async with self._store.write_lock:
            tables = self._store.tables.copy()
            chosen = [
                key
                for key, f in tables.replication_failures.items()
                if key[0] == consumer and f.dead and (event_ids is None or f.event_id in event_ids)
            ]
            for key in chosen:
                changed = change(tables.replication_failures[key])
                if changed is None:
                    del tables.replication_failures[key]
                else:
                    tables.replication_failures[key] = changed
            self._store.tables = tables
        return len(chosen)


# This context's repositories in a unit of work (`ReplicationRepositories` in ports/replication.py).
REPOSITORIES: Repositories = {
    "replication": MemoryReplicationLog,
}
