"""`credits.low`: an event, in the transaction of the posting that made available credits fall below the
threshold. Reservations of a synchronous enrich last one request, so there the fall is judged over the whole
request (before its reserve, after its release), not at the reserve."""

from __future__ import annotations

from domain.credits.ledger import LedgerEntry, LowCreditPolicy, available_after, available_before
from domain.kernel.events import Event, EventType
from ports.system import IdGenerator
from ports.unit_of_work import UnitOfWork


async def alert_if_low(
    uow: UnitOfWork, policy: LowCreditPolicy, ids: IdGenerator, entry: LedgerEntry, *, before: int | None = None
) -> None:
    """Add the event when the entry took available credits from `before` (by default, what was available just
    before the entry) to below the threshold. Call it only for an entry posted now, not for a replay."""
    start = available_before(entry) if before is None else before
    after = available_after(entry)
    if not policy.crossed(start, after):
        return
    await uow.events.add(
        [
            Event(
                id=ids.new_id(),
                workspace_id=entry.workspace_id,
                type=EventType.CREDITS_LOW,
                data={
                    "available": after,
                    "balance": entry.balance_after,
                    "reserved": entry.reserved_after,
                    "threshold": policy.threshold,
                    "ledgerEntryId": str(entry.id),
                },
                occurred_at=entry.created_at,
            )
        ]
    )
