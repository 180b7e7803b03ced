"""Replication: sinks (the search index, later analytics) follow the event outbox, each at its own position.

A sink applies events in commit order and may fail on some of them: those are retried with growing waits and,
once their attempts run out, kept as dead letters until an operator replays or discards them. Neither blocks
the events behind it. Sinks are idempotent (a document carries its record's version), so an event applied
twice, or late, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.kernel.errors import ServiceUnavailable

NIL = UUID(int=0)


@dataclass(slots=True, frozen=True, order=True)
class Position:
    """Past every event of an earlier transaction, and of this one up to `event_id`."""

    txid: int = 0
    event_id: UUID = NIL


START = Position()
MOST_BEHIND = 100_000  # events behind are counted up to this many: a status read stays cheap under any backlog


@dataclass(slots=True, kw_only=True, frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_wait_seconds: float = 5.0
    max_wait_seconds: float = 900.0

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """When an event that failed `attempts` times is tried again; None: never (a dead letter)."""
        if attempts >= self.max_attempts:
            return None
        wait = min(self.first_wait_seconds * 2 ** (attempts - 1), self.max_wait_seconds)
        return now + timedelta(seconds=wait)


@dataclass(slots=True, kw_only=True, frozen=True)
class Failure:
    consumer: str
    event_id: UUID
    attempts: int
    last_error: str
    first_failed_at: datetime
    last_failed_at: datetime
    next_attempt_at: datetime | None  # None: a dead letter

    @property
    def dead(self) -> bool:
        return self.next_attempt_at is None

    def failed_again(self, error: str, now: datetime, policy: RetryPolicy) -> Failure:
        attempts = self.attempts + 1
        return Failure(
            consumer=self.consumer,
            event_id=self.event_id,
            attempts=attempts,
            last_error=error,
            first_failed_at=self.first_failed_at,
            last_failed_at=now,
            next_attempt_at=policy.next_attempt(attempts, now),
        )


def first_failure(consumer: str, event_id: UUID, error: str, now: datetime, policy: RetryPolicy) -> Failure:
    return Failure(
        consumer=consumer,
        event_id=event_id,
        attempts=1,
        last_error=error,
        first_failed_at=now,
        last_failed_at=now,
        next_attempt_at=policy.next_attempt(1, now),
    )


@dataclass(slots=True, kw_only=True, frozen=True)
class ConsumerStatus:
    name: str
    position: Position
    applied: int  # events applied since the sink began
    behind: int  # events of the outbox past its position, up to MOST_BEHIND
    seconds_behind: float  # age of the next of them in commit order (0 when none)
    retrying: int
    dead: int
    updated_at: datetime | None  # when its position last moved (None: it never ran)


class SinkUnavailable(ServiceUnavailable):
    """A sink could apply nothing (its engine is away): the events wait in the outbox, nothing is counted."""

    code = "SINK_UNAVAILABLE"
