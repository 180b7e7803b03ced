"""What runs of the waterfall owe, posted to the ledger; the answers they paid for, cached once posted.

A run decides (application/enrichment/waterfall_run.py); the settlement pays. A job's runs charge the job's
reservation and their charges are posted with the records they bought (SaveJobItems). A record enriched on its
own (PaidRun) reserves its ceiling here first, posts its charges with the record the same way, and releases
the rest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import structlog

from application.credit.low_credits import alert_if_low
from application.enrichment.waterfall_run import WaterfallResult
from domain.credits.ledger import NEVER_LOW, CreditRequest, EntryKind, LedgerEntry, LowCreditPolicy, available_before
from domain.kernel.errors import DomainError
from ports.enrichment import LookupCache
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

log = structlog.get_logger("cascade.enrichment")


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation made for one run, and what was available before it (None: the key was replayed)."""

    id: UUID
    key: str
    available_before: int | None


class Settlement:
    """Rules: a run's reservation, charges and release are keyed by `<run>:<record>` (a retried run replays
    them, never pays twice); charges are posted inside the caller's unit of work, with what they bought;
    answers are cached only after that commit, so a run that dies before it asks again (and pays once, under
    the same key), never reads a paid answer back for free; `credits.low` for a run of its own is judged over
    the whole run (before its reserve, after its release). Metrics hear of credits once committed."""

    def __init__(
        self,
        uow: UnitOfWork,
        cache: LookupCache,
        clock: Clock,
        ids: IdGenerator,
        low_credits: LowCreditPolicy = NEVER_LOW,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow, self._cache, self._clock, self._ids = uow, cache, clock, ids
        self._low_credits, self._metrics = low_credits, metrics

    async def reserve(self, workspace_id: UUID, key: str, amount: int) -> Hold:
        # Named by the run, so a retried run replays its reservation instead of conflicting with it.
        reservation_id = uuid.uuid5(workspace_id, key)
        request = CreditRequest(
            workspace_id=workspace_id,
            kind=EntryKind.RESERVE,
            amount=amount,
            idempotency_key=f"{key}:reserve",
            reason="enrichment",
            reservation_id=reservation_id,
        )
        entry, fresh = await self._post(request)
        return Hold(id=reservation_id, key=key, available_before=available_before(entry) if fresh else None)

    async def settle(self, uow: UnitOfWork, results: list[WaterfallResult]) -> list[LedgerEntry]:
        """Post what the runs owe inside the caller's unit of work; the entries posted now (not replays).
        Call it last before the commit: the account stays locked until then."""
        owed = [charge for result in results for charge in result.owed]
        if not owed:
            return []
        ids = [self._ids.new_id() for _ in owed]
        entries = await uow.credits.post_many(owed, entry_ids=ids, at=self._clock.now())
        return [entry for entry, entry_id in zip(entries, ids, strict=True) if entry.id == entry_id]

    def settled(self, entries: list[LedgerEntry]) -> None:
        """Count the entries `settle` posted, once their unit of work is committed."""
        for entry in entries:
            self._metrics.credits_moved(entry.kind, entry.amount)

    async def remember(self, workspace_id: UUID, results: list[WaterfallResult]) -> None:
        """Cache the fresh answers of the runs, once their `settle` is committed."""
        answers = [fresh for result in results for fresh in result.fresh]
        if answers:
            await self._cache.put_many(workspace_id, answers, self._clock.now())

    async def release(self, workspace_id: UUID, hold: Hold) -> None:
        """Give back what the run did not spend. If that fails (the database is down), the run's own
        error stays the one reported; `cascade credits release-stale` frees it later."""
        request = CreditRequest(
            workspace_id=workspace_id,
            kind=EntryKind.RELEASE,
            amount=0,
            idempotency_key=f"{hold.key}:release",
            reason="enrichment done",
            reservation_id=hold.id,
        )
        try:
            await self._post(request, low_since=hold.available_before)
        except (DomainError, OSError) as exc:
            log.warning("reservation_not_released", reservation_id=str(hold.id), error=type(exc).__name__)

    async def _post(self, request: CreditRequest, *, low_since: int | None = None) -> tuple[LedgerEntry, bool]:
        """The entry, and whether it was posted now (not a replay). With `low_since`, `credits.low` is judged
        from that amount available to what is available after this entry."""
        entry_id = self._ids.new_id()
        async with self._uow as uow:
            entry = await uow.credits.post(request, entry_id=entry_id, at=self._clock.now())
            fresh = entry.id == entry_id
            if fresh and low_since is not None:
                await alert_if_low(uow, self._low_credits, self._ids, entry, before=low_since)
            await uow.commit()
        if fresh:
            self._metrics.credits_moved(entry.kind, entry.amount)
        return entry, fresh
