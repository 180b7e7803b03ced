from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from application.enrichment.enrich_record import EnrichmentPolicy
from application.enrichment.pending_lookups import Pause
from application.enrichment.settlement import Settlement
from application.enrichment.waterfall_run import WaterfallResult, WaterfallRun
from application.record.changes import record_changed
from domain.enrichment.provider_registry import BY_NAME
from domain.enrichment.waterfall import RecordedAttempt
from domain.jobs.job import MISSING, ItemState, Job, JobItem, wanted_for
from domain.kernel.errors import Conflict, InsufficientCredits, NotFound
from domain.kernel.events import Event, EventType
from domain.records.record import Record, RecordStatus
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

# The reservation was settled meanwhile (the job was finished under the run): the record is not enriched.
SETTLED = (InsufficientCredits, Conflict, NotFound)


@dataclass(slots=True, kw_only=True, frozen=True)
class ItemWork:
    job: Job
    item: JobItem
    record: Record | None  # None: deleted since the job was made


@dataclass(slots=True, kw_only=True, frozen=True)
class ItemOutcome:
    work: ItemWork
    result: WaterfallResult | None  # None: nothing to save but the item's end
    error: str | None = None


class EnrichJobItem:
    """Run the waterfall for one record of a job; nothing is written (see SaveJobItems).

    Rules: calls are charged against the job's reservation under the key
    `job:<job>:<record>:<provider>` when the outcome is saved; a record
    deleted before its turn is not enriched; a pending answer is asked again
    within the policy's `job_patience`, waiting through `pause` (the caller's:
    it frees the record's slot meanwhile and says when the job stops).
    """

    def __init__(self, run: WaterfallRun, policy: EnrichmentPolicy) -> None:
        self._run = run
        self._patience = policy.job_patience

    async def __call__(self, work: ItemWork, *, pause: Pause) -> ItemOutcome:
        job, record = work.job, work.record
        if record is None:
            return ItemOutcome(work=work, result=None, error="the record was deleted")
        try:
            result = await self._run(
                record,
                wanted_for(record.kind, job.fields),
                [BY_NAME[name] for name in job.providers],
                run_id=f"job:{job.id}",
                reservation=job.reservation_id,
                patience=self._patience,
                pause=pause,
            )
        except SETTLED as exc:
            return ItemOutcome(work=work, result=None, error=exc.message)
        return ItemOutcome(work=work, result=result)


class SaveJobItems:
    """Save what a group of a job's records came to, in one transaction.

    Rules: per record, its found fields, provenance and status, its
    attempts, the item's outcome, a `record.enriched` event (when a field
    was found) and the charges its calls owe, all committed together or not
    at all; answers are cached only after the commit. A record run again
    after a crash therefore pays once: either nothing of it was kept and it
    is asked again, or all was and it is done. An item already done (another
    run of the batch saved it) is left alone, its charges not posted. If the
    reservation was settled meanwhile, each record is saved on its own and
    those that cannot be paid for end `failed`.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        settlement: Settlement,
        clock: Clock,
        ids: IdGenerator,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow, self._settlement, self._clock, self._ids, self._metrics = uow, settlement, clock, ids, metrics

    async def __call__(self, outcomes: list[ItemOutcome]) -> list[JobItem]:
        try:
            done = await self._save(outcomes)
        except SETTLED as exc:
            if len(outcomes) == 1:
                return await self._save([ItemOutcome(work=outcomes[0].work, result=None, error=exc.message)])
            return [item for outcome in outcomes for item in await self([outcome])]
        await self._settlement.remember(done[0].workspace_id, [o.result for o in outcomes if o.result is not None])
        return done

    async def _save(self, outcomes: list[ItemOutcome]) -> list[JobItem]:
        """One workspace's outcomes (one job's): a few statements for the whole group."""
        now = self._clock.now()
        workspace_id = outcomes[0].work.item.workspace_id
        live = [o.work.record.id for o in outcomes if o.result is not None and o.work.record is not None]
        done: list[JobItem] = []
        saved: dict[int, tuple[Record, WaterfallResult]] = {}
        async with self._uow as uow:
            stored = await uow.records.lock_many(workspace_id, live)
            for outcome in outcomes:
                item, record, result = outcome.work.item, outcome.work.record, outcome.result
                current = stored.get(record.id) if record is not None else None
                if result is None or current is None:
                    failed = record is not None and result is None
                    error = outcome.error if result is None else "the record was deleted"
                    outcome_name = RecordStatus.FAILED.value if failed else MISSING
                    done.append(_done(item, outcome=outcome_name, at=now, error=error))
                    continue
                result.apply_to(current, now=now)
                done.append(
                    _done(
                        item,
                        outcome=current.status.value,
                        at=now,
                        credits=result.credits,
                        fields=tuple(sorted(result.found)),
                    )
                )
                saved[item.position] = (current, result)
            # An item another run of the batch already saved keeps that run's record, attempts and charges.
            fresh = await uow.jobs.finish_items(done)
            kept = [saved[position] for position in sorted(saved.keys() & fresh)]
            await uow.records.save_many([record for record, _ in kept])
            await uow.attempts.add(
                [
                    RecordedAttempt(
                        id=self._ids.new_id(),
                        workspace_id=record.workspace_id,
                        record_id=record.id,
                        run_id=f"job:{outcomes[0].work.job.id}",
                        attempt=attempt,
                        created_at=now,
                    )
                    for record, result in kept
                    for attempt in result.attempts
                ]
            )
            await uow.events.add(
                [
                    self._enriched(outcomes[0].work.job, record, result)
                    if result.found
                    else record_changed(self._ids, EventType.RECORD_UPDATED, record, now)
                    for record, result in kept
                ]
            )
            # last: the account stays locked until commit
            charged = await self._settlement.settle(uow, [result for _, result in kept])
            await uow.commit()
        for item in done:
            if item.position in fresh and item.outcome is not None:
                self._metrics.job_record_done(item.outcome)
        self._settlement.settled(charged)
        return done

    def _enriched(self, job: Job, record: Record, result: WaterfallResult) -> Event:
        return Event(
            id=self._ids.new_id(),
            workspace_id=record.workspace_id,
            type=EventType.RECORD_ENRICHED,
            data={
                "recordId": str(record.id),
                "jobId": str(job.id),
                "kind": record.kind.value,
                "status": record.status.value,
                "fields": {name: record.fields[name] for name in sorted(result.found)},
                "creditsCharged": result.credits,
                "version": record.version,
            },
            occurred_at=record.updated_at,
        )


def _done(
    item: JobItem,
    *,
    outcome: str,
    at: datetime,
    credits: int = 0,
    fields: tuple[str, ...] = (),
    error: str | None = None,
) -> JobItem:
    return replace(
        item, state=ItemState.DONE, outcome=outcome, credits=credits, fields=fields, error=error, finished_at=at
    )
