"""Replication: each sink's position in the outbox, its failures, and the sinks themselves."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.kernel.events import Event
from domain.kernel.pagination import Page, PageRequest
from domain.replication.replication import ConsumerStatus, Failure, Position


class ReplicationLog(Protocol):
    """A sink's progress through the outbox, written inside a unit of work."""

    @abstractmethod
    async def hold(self, consumer: str, token: UUID, now: datetime, until: datetime) -> Position | None:
        """The consumer's position, leased to `token` until `until` (made at the start of the outbox the first
        time); None while another drainer's lease runs. A lease outlives the transaction: the sink is applied
        outside any, so a slow sink holds no transaction open."""

    @abstractmethod
    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        """Up to `limit` events past `position`, in commit order: only events of transactions that ended before
        any still running began, so none can later appear behind a position already passed."""

    @abstractmethod
    async def advance(self, consumer: str, token: UUID, position: Position, applied: int, now: datetime) -> bool:
        """Move the consumer to `position`, `applied` more events applied, and end the lease; only while `token`
        holds it (False: the lease ran out and another drainer took it, which applies these events again)."""

    @abstractmethod
    async def release(self, consumer: str, token: UUID) -> None:
        """End `token`'s lease without moving."""

    @abstractmethod
    async def due(self, consumer: str, now: datetime, limit: int) -> list[tuple[Failure, Event]]:
        """Failed events whose next attempt is due, oldest failure first."""

    @abstractmethod
    async def set_failures(self, failures: list[Failure]) -> None:
        """Keep these failures (each replaces the consumer's failure of its event)."""

    @abstractmethod
    async def clear_failures(self, consumer: str, event_ids: list[UUID]) -> None: ...


class ReplicationRepositories(Protocol):
    """What a unit of work carries for replication."""

    replication: ReplicationLog


class ReplicationReader(Protocol):
    """What operators see and do: each sink's lag and its dead letters."""

    @abstractmethod
    async def status(self, consumer: str, now: datetime) -> ConsumerStatus: ...

    @abstractmethod
    async def dead_letters(self, consumer: str, page: PageRequest) -> Page[Failure]:
        """Newest failure first."""

    @abstractmethod
    async def failure(self, consumer: str, event_id: UUID) -> tuple[Failure, Event | None] | None:
        """A failure with its event (None if the outbox no longer has it)."""

    @abstractmethod
    async def replay(self, consumer: str, event_ids: list[UUID] | None, now: datetime) -> int:
        """Dead letters (these, or all of the consumer's with None) tried again at once, each one more attempt;
        how many."""

    @abstractmethod
    async def discard(self, consumer: str, event_ids: list[UUID] | None) -> int:
        """Dead letters forgotten (these, or all with None); how many."""

    @abstractmethod
    async def head(self) -> Position:
        """Past every event committed so far (START when there is none)."""

    @abstractmethod
    async def events_after(self, position: Position, limit: int) -> list[tuple[Position, Event]]:
        """Like the log's, outside any consumer: the next committed events in commit order."""


class ReplicationSink(Protocol):
    """Where a consumer's events go. Idempotent: an event applied twice, or after a later one of the same
    record, changes nothing."""

    name: str

    @abstractmethod
    async def apply(self, events: list[Event]) -> dict[UUID, str]:
        """Apply the events; the ones that could not be applied, by event id, with why. Raises `SinkUnavailable`
        when none could be (the engine is away): nothing is counted against them."""
