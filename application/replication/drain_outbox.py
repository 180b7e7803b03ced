from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from domain.kernel.events import Event
from domain.replication.replication import Failure, RetryPolicy, first_failure
from ports.replication import ReplicationSink
from ports.system import Clock
from ports.unit_of_work import UnitOfWork

_ERROR_CHARS = 2_000
LEASE = timedelta(seconds=60)  # longer than any sink call; a drainer that died gives its sink up after it


class DrainOutbox:
    """Apply the next events of the outbox to one sink, and the failed ones whose retry is due.

    Rules: events in commit order, at most `batch` (plus as many due retries); the sink's position moves past
    every event read, applied or not; an event the sink could not apply is retried with growing waits
    (`RetryPolicy`) and, when its attempts run out, becomes a dead letter; a retried event that applies is
    forgotten. When the sink can apply nothing (`SinkUnavailable`), nothing moves and nothing is counted:
    the events wait in the outbox. One drainer per sink at a time, through a lease on the sink's position:
    another finds it held and returns 0. The sink is applied between two short transactions, never inside
    one (a slow engine must not hold a transaction open). Answers how many events it handled (0: nothing to
    do here now).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, policy: RetryPolicy, batch: int = 500) -> None:
        self._uow, self._clock, self._policy, self._batch = uow, clock, policy, batch

    async def __call__(self, sink: ReplicationSink) -> int:
        token, now = uuid4(), self._clock.now()
        async with self._uow as uow:
            position = await uow.replication.hold(sink.name, token, now, now + LEASE)
            if position is None:
                return 0
            due = await uow.replication.due(sink.name, now, self._batch)
            fresh = await uow.replication.events_after(position, self._batch)
            await uow.commit()
        events: list[Event] = [event for _, event in due] + [event for _, event in fresh]
        if not events:
            await self._release(sink.name, token)
            return 0
        try:
            failed = await sink.apply(events)  # SinkUnavailable: nothing moves, tried again later
        except BaseException:
            await self._release(sink.name, token)
            raise
        now = self._clock.now()
        retried = {failure.event_id: failure for failure, _ in due}
        failures: list[Failure] = [
            retried[event_id].failed_again(_short(error), now, self._policy)
            if event_id in retried
            else first_failure(sink.name, event_id, _short(error), now, self._policy)
            for event_id, error in failed.items()
        ]
        async with self._uow as uow:
            after = fresh[-1][0] if fresh else position
            if not await uow.replication.advance(sink.name, token, after, len(events) - len(failed), now):
                return 0  # the lease ran out: whoever holds it now applies these events again
            await uow.replication.set_failures(failures)
            await uow.replication.clear_failures(sink.name, [i for i in retried if i not in failed])
            await uow.commit()
        return len(events)

    async def _release(self, consumer: str, token: UUID) -> None:
        async with self._uow as uow:
            await uow.replication.release(consumer, token)
            await uow.commit()


def _short(error: str) -> str:
    return error[:_ERROR_CHARS] or "failed"
