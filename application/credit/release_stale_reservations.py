from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.credits.ledger import CreditRequest, EntryKind, LedgerEntry
from domain.kernel.errors import Conflict, NotFound
from ports.credits import CreditReader
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class ReleaseStaleReservationsCommand:
    older_than: timedelta
    limit: int = 1000


class ReleaseStaleReservations:
    """Give back what crashed jobs still hold.

    Rules: only reservations opened before `now - older_than` are released,
    each in its own transaction under the key `release:<reservation id>`, so
    a release that races the job's own settlement happens once; one that the
    job settled (or whose workspace went) meanwhile is skipped, not fatal.
    """

    def __init__(
        self, credits: CreditReader, uow: UnitOfWork, clock: Clock, ids: IdGenerator, metrics: Metrics = NO_METRICS
    ) -> None:
        self._credits = credits
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._metrics = metrics

    async def __call__(self, cmd: ReleaseStaleReservationsCommand) -> list[LedgerEntry]:
        now = self._clock.now()
        released = []
        for reservation in await self._credits.open_reservations(now - cmd.older_than, cmd.limit):
            request = CreditRequest(
                workspace_id=reservation.workspace_id,
                kind=EntryKind.RELEASE,
                amount=0,
                idempotency_key=f"release:{reservation.id}",
                reason="released after the job stopped",
                reservation_id=reservation.id,
            )
            entry_id = self._ids.new_id()
            try:
                async with self._uow as uow:
                    entry = await uow.credits.post(request, entry_id=entry_id, at=now)
                    await uow.commit()
            except (Conflict, NotFound):
                continue
            released.append(entry)
            if entry.id == entry_id:  # posted now, not a replay
                self._metrics.credits_moved(entry.kind, entry.amount)
        return released
