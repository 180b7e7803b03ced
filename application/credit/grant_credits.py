from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.credits.ledger import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    CreditRequest,
    EntryKind,
    LedgerEntry,
    check_idempotency_key,
)
from domain.kernel.permissions import Action
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

KEY_PREFIX = "grant:"


@dataclass(slots=True, kw_only=True, frozen=True)
class GrantCreditsCommand:
    actor_id: UUID
    workspace_id: UUID
    amount: int
    reason: str
    idempotency_key: str


class GrantCredits:
    """Add credits to a workspace by hand.

    Rules: owners only; the idempotency key is required and a replay returns
    the first entry (another amount or reason under the same key is a
    `Conflict`); grant keys live in their own namespace of the workspace's keys.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._metrics = metrics

    async def __call__(self, cmd: GrantCreditsCommand) -> LedgerEntry:
        check_idempotency_key(cmd.idempotency_key, max_length=MAX_IDEMPOTENCY_KEY_LENGTH - len(KEY_PREFIX))
        request = CreditRequest(
            workspace_id=cmd.workspace_id,
            kind=EntryKind.GRANT,
            amount=cmd.amount,
            idempotency_key=KEY_PREFIX + cmd.idempotency_key,
            reason=cmd.reason,
            actor_id=cmd.actor_id,
        )
        request.validate()
        entry_id = self._ids.new_id()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.CREDITS_GRANT)
            entry = await uow.credits.post(request, entry_id=entry_id, at=self._clock.now())
            await uow.commit()
        if entry.id == entry_id:  # posted now, not a replay
            self._metrics.credits_moved(entry.kind, entry.amount)
        return entry
