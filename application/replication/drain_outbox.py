from __future__ import annotations

from domain.kernel.events import Event
from domain.replication.replication import Failure, RetryPolicy, first_failure
from ports.replication import ReplicationSink
from ports.system import Clock
from ports.unit_of_work import UnitOfWork

_ERROR_CHARS = 2_000


class DrainOutbox:
    """Apply the next events of the outbox to one sink, and the failed ones whose retry is due.

    Rules: events in commit order, at most `batch` (plus as many due retries); the sink's position moves past
    every event read, applied or not; an event the sink could not apply is retried with growing waits
    (`RetryPolicy`) and, when its attempts run out, becomes a dead letter; a retried event that applies is
    forgotten. When the sink can apply nothing (`SinkUnavailable`), nothing moves and nothing is counted:
    the events wait in the outbox. One drainer per sink at a time: another finds the position held and
    returns 0. Answers how many events it handled (0: nothing to do here now).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, policy: RetryPolicy, batch: int = 500) -> None:
        self._uow, self._clock, self._policy, self._batch = uow, clock, policy, batch

    async def __call__(self, sink: ReplicationSink) -> int:
        now = self._clock.now()
        async with self._uow as uow:
            position = await uow.replication.hold(sink.name, now)
            if position is None:
                return 0
            due = await uow.replication.due(sink.name, now, self._batch)
            fresh = await uow.replication.events_after(position, self._batch)
            events: list[Event] = [event for _, event in due] + [event for _, event in fresh]
            if not events:
                return 0
            failed = await sink.apply(events)  # SinkUnavailable: rolled back, tried again later
            retried = {failure.event_id: failure for failure, _ in due}
            failures: list[Failure] = [
                retried[event_id].failed_again(_short(error), now, self._policy)
                if event_id in retried
                else first_failure(sink.name, event_id, _short(error), now, self._policy)
                for event_id, error in failed.items()
            ]
            await uow.replication.set_failures(failures)
            await uow.replication.clear_failures(sink.name, [i for i in retried if i not in failed])
            after = fresh[-1][0] if fresh else position
            await uow.replication.advance(sink.name, after, len(events) - len(failed), now)
            await uow.commit()
        return len(events)


def _short(error: str) -> str:
    return error[:_ERROR_CHARS] or "failed"
