from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from application.enrichment.waterfall_run import WaterfallResult, WaterfallRun
from domain.errors import Conflict, InsufficientCredits, NotFound
from domain.events import Event, EventType
from domain.jobs import MISSING, ItemState, Job, JobItem, wanted_for
from domain.provider_registry import BY_NAME
from domain.records import Record, RecordStatus
from domain.waterfall import RecordedAttempt
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class ItemWork:
    job: Job
    item: JobItem
    record: Record | None  # None: deleted since the job was made


class EnrichJobItem:
    """Enrich one record of a job and save it with its result.

    Rules: calls are charged against the job's reservation under the key
    `job:<job>:<record>:<provider>`, in the one transaction that also saves
    the record, its attempts, the item's outcome and a `record.enriched`
    event (when a field was found); answers are cached only after it
    commits. A record run again after a crash therefore pays once: either
    nothing was kept and it is asked again, or all was and it is done. An item
    already done is left alone; a record deleted meanwhile, or a
    reservation already settled (the job was finished under it), ends the
    item without enriching.
    """

    def __init__(self, uow: UnitOfWork, run: WaterfallRun, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._run, self._clock, self._ids = uow, run, clock, ids

    async def __call__(self, work: ItemWork) -> JobItem:
        job, item, record = work.job, work.item, work.record
        if record is None:
            return await self._end(item, outcome=MISSING, error="the record was deleted")
        order = [BY_NAME[name] for name in job.providers]
        try:
            result = await self._run(
                record,
                wanted_for(record.kind, job.fields),
                order,
                run_id=f"job:{job.id}",
                max_credits=None,
                reservation=job.reservation_id,
            )
        except (InsufficientCredits, Conflict, NotFound) as exc:
            return await self._end(item, outcome=RecordStatus.FAILED.value, error=exc.message)
        try:
            done = await self._save(job, item, record, result)
        except (InsufficientCredits, Conflict, NotFound) as exc:  # the reservation was settled meanwhile
            return await self._end(item, outcome=RecordStatus.FAILED.value, error=exc.message)
        await self._run.remember(record.workspace_id, result)
        return done

    async def _save(self, job: Job, item: JobItem, record: Record, result: WaterfallResult) -> JobItem:
        now = self._clock.now()
        async with self._uow as uow:
            stored = await uow.records.get_for_update(record.workspace_id, record.id)
            if stored is None:
                done = _done(item, outcome=MISSING, at=now, error="the record was deleted")
                if await uow.jobs.finish_item(done):
                    await uow.commit()
                return done
            result.apply_to(stored, now=now)
            done = _done(
                item,
                outcome=stored.status.value,
                at=now,
                credits=result.credits,
                fields=tuple(sorted(result.found)),
            )
            if not await uow.jobs.finish_item(done):
                return done  # another run of this batch saved it first
            await uow.records.save(stored)
            await uow.attempts.add(
                [
                    RecordedAttempt(
                        id=self._ids.new_id(),
                        workspace_id=record.workspace_id,
                        record_id=record.id,
                        run_id=f"job:{job.id}",
                        attempt=attempt,
                        created_at=now,
                    )
                    for attempt in result.attempts
                ]
            )
            if result.found:
                await uow.events.add([self._enriched(job, stored, result)])
            await self._run.settle(uow, result)  # last: the account row stays locked only until commit
            await uow.commit()
        return done

    async def _end(self, item: JobItem, *, outcome: str, error: str) -> JobItem:
        done = _done(item, outcome=outcome, at=self._clock.now(), error=error)
        async with self._uow as uow:
            if await uow.jobs.finish_item(done):
                await uow.commit()
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
