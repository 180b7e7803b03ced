from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.credit.low_credits import alert_if_low
from domain.credits.ledger import NEVER_LOW, CreditRequest, EntryKind, LedgerEntry, LowCreditPolicy
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class ChargeCreditsCommand:
    workspace_id: UUID
    amount: int
    idempotency_key: str
    reason: str = ""
    reservation_id: UUID | None = None


class ChargeCredits:
    """Charge for work done (the system charges; no user is authorized here).

    Rules: against a reservation the charge may not exceed what it still
    holds; without one it may not exceed the available credits
    (`InsufficientCredits`, nothing written); a replayed key never charges twice.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        low_credits: LowCreditPolicy = NEVER_LOW,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._low_credits = low_credits
        self._metrics = metrics

    async def __call__(self, cmd: ChargeCreditsCommand) -> LedgerEntry:
        request = CreditRequest(
            workspace_id=cmd.workspace_id,
            kind=EntryKind.CHARGE,
            amount=cmd.amount,
            idempotency_key=cmd.idempotency_key,
            reason=cmd.reason,
            reservation_id=cmd.reservation_id,
        )
        entry_id = self._ids.new_id()
        async with self._uow as uow:
            entry = await uow.credits.post(request, entry_id=entry_id, at=self._clock.now())
            if entry.id == entry_id:  # posted now, not a replay
                await alert_if_low(uow, self._low_credits, self._ids, entry)
            await uow.commit()
        if entry.id == entry_id:
            self._metrics.credits_moved(entry.kind, entry.amount)
        return entry
