from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.enrichment.pending_lookups import Pause, sleep
from application.enrichment.settlement import Settlement
from application.enrichment.waterfall_run import WaterfallResult, WaterfallRun
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import ProviderSpec
from domain.records.record import Record
from ports.unit_of_work import UnitOfWork

T = TypeVar("T")


class PaidRun:
    """One record's waterfall paid on its own, settled the way a job's records are.

    Rules: the ceiling is reserved first (`InsufficientCredits` if not available; nothing is reserved when
    it is 0 or the record already holds every wanted field); the run's charges are posted in the transaction
    that `save`s what they bought, or not at all; its fresh answers are cached once that is committed; the
    rest of the reservation is released whatever happened.
    """

    def __init__(self, run: WaterfallRun, settlement: Settlement, uow: UnitOfWork) -> None:
        self._run, self._settlement, self._uow = run, settlement, uow

    async def __call__(
        self,
        record: Record,
        wanted: frozenset[str],
        order: list[ProviderSpec],
        *,
        run_id: str,
        max_credits: int | None,
        patience: Patience,
        save: Callable[[UnitOfWork, WaterfallResult], Awaitable[T]],
        pause: Pause = sleep,
    ) -> tuple[WaterfallResult, T]:
        """The run's result, and what `save` returned."""
        order = self._run.callable(order)
        ceiling = self._run.ceiling(order, max_credits)
        needed = ceiling > 0 and bool(wanted - record.fields.keys())
        hold = await self._settlement.reserve(record.workspace_id, f"{run_id}:{record.id}", ceiling) if needed else None
        try:
            result = await self._run(
                record,
                wanted,
                order,
                run_id=run_id,
                reservation=hold.id if hold else None,
                patience=patience,
                max_credits=ceiling,
                pause=pause,
            )
            async with self._uow as uow:
                saved = await save(uow, result)
                charged = await self._settlement.settle(uow, [result])
                await uow.commit()
            self._settlement.settled(charged)
            await self._settlement.remember(record.workspace_id, [result])
        finally:
            if hold is not None:
                await self._settlement.release(record.workspace_id, hold)
        return result, saved
