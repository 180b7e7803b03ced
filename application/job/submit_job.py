from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.credit.low_credits import alert_if_low
from application.record.changes import record_changed
from domain.credits.ledger import NEVER_LOW, CreditRequest, EntryKind, LedgerEntry, LowCreditPolicy
from domain.enrichment.provider_registry import provider_order
from domain.enrichment.schema import EntityKind
from domain.jobs.job import MAX_JOB_RECORDS, Job, JobStatus, check_job_fields, record_ceiling, wanted_for
from domain.kernel.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from domain.kernel.events import EventType
from domain.kernel.permissions import Action
from domain.records.inputs import check_identifying, clean_inputs
from domain.records.record import Record, RecordStatus
from ports.enrichment import ProviderDirectory
from ports.jobs import JobOrchestrator, JobReader
from ports.metrics import NO_METRICS, Metrics
from ports.records import RecordReader
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class NewRecord:
    kind: EntityKind
    inputs: dict[str, str]


@dataclass(slots=True, kw_only=True, frozen=True)
class SubmitJobCommand:
    actor_id: UUID
    workspace_id: UUID
    fields: tuple[str, ...]
    records: list[NewRecord] | None = None  # new records, stored by the job
    record_ids: list[UUID] | None = None  # or the workspace's own
    providers: list[str] | None = None
    idempotency_key: str | None = None


class SubmitJob:
    """Queue an enrichment job and start it.

    Rules: members and up; 1 to 10,000 new records or record ids (not both,
    no id twice; an id that is not the workspace's record is `NotFound`); every field known and each
    record's kind able to have one of them. The most the job can cost (per
    record, every provider able to supply a wanted field, once) is reserved
    in the job's own transaction: `InsufficientCredits` if not available.
    With an idempotency key, a retry returns the first job (and makes sure it
    runs); the key with a different request is a `Conflict`.
    """

    def __init__(
        self,
        workspaces: WorkspaceReader,
        records: RecordReader,
        jobs: JobReader,
        uow: UnitOfWork,
        orchestrator: JobOrchestrator,
        clock: Clock,
        ids: IdGenerator,
        directory: ProviderDirectory,
        low_credits: LowCreditPolicy = NEVER_LOW,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._workspaces, self._records, self._jobs, self._uow = workspaces, records, jobs, uow
        self._directory = directory
        self._orchestrator, self._clock, self._ids = orchestrator, clock, ids
        self._low_credits = low_credits
        self._metrics = metrics

    async def __call__(self, cmd: SubmitJobCommand) -> Job:
        await authorize(self._workspaces, cmd.workspace_id, cmd.actor_id, Action.JOBS_RUN)
        fingerprint = _fingerprint(cmd)
        if cmd.idempotency_key and (first := await self._replay(cmd, fingerprint)):
            return first
        order = provider_order(cmd.providers, self._directory.names())
        records, new = await self._job_records(cmd)
        check_job_fields(cmd.fields, {r.kind for r in records})
        reserved = sum(record_ceiling(r.kind, wanted_for(r.kind, cmd.fields), order) for r in records)
        job_id = self._ids.new_id()
        job = Job(
            id=job_id,
            workspace_id=cmd.workspace_id,
            created_by=cmd.actor_id,
            status=JobStatus.QUEUED,
            fields=cmd.fields,
            providers=tuple(spec.name for spec in order),
            total=len(records),
            credits_reserved=reserved,
            reservation_id=job_id if reserved else None,
            idempotency_key=cmd.idempotency_key,
            fingerprint=fingerprint,
            created_at=self._clock.now(),
        )
        reserve: LedgerEntry | None = None  # posted now (not a replay)
        try:
            async with self._uow as uow:
                if new:
                    await uow.records.add_many(records)
                    created = [record_changed(self._ids, EventType.RECORD_CREATED, r, r.created_at) for r in records]
                    await uow.events.add(created)
                if reserved:
                    reserve_id = self._ids.new_id()
                    entry = await uow.credits.post(
                        CreditRequest(
                            workspace_id=cmd.workspace_id,
                            kind=EntryKind.RESERVE,
                            amount=reserved,
                            idempotency_key=f"job:{job_id}:reserve",
                            reason=f"enrichment job of {len(records)} records",
                            actor_id=cmd.actor_id,
                            reservation_id=job_id,
                        ),
                        entry_id=reserve_id,
                        at=job.created_at,
                    )
                    if entry.id == reserve_id:
                        reserve = entry
                        await alert_if_low(uow, self._low_credits, self._ids, entry)
                await uow.jobs.add(job, [r.id for r in records])
                await uow.commit()
        except Conflict:
            # A concurrent request with the same key won the race: answer its job.
            if cmd.idempotency_key and (first := await self._replay(cmd, fingerprint)):
                return first
            raise
        self._metrics.job_submitted()
        if reserve is not None:
            self._metrics.credits_moved(reserve.kind, reserve.amount)
        await self._orchestrator.start(cmd.workspace_id, job.id)
        return job

    async def _replay(self, cmd: SubmitJobCommand, fingerprint: str) -> Job | None:
        assert cmd.idempotency_key is not None
        first = await self._jobs.by_idempotency_key(cmd.workspace_id, cmd.idempotency_key)
        if first is None:
            return None
        if first.fingerprint != fingerprint:
            raise Conflict("idempotency key was already used for a different job")
        if not first.status.finished:
            await self._orchestrator.start(cmd.workspace_id, first.id)  # the first start may have failed
        return first

    async def _job_records(self, cmd: SubmitJobCommand) -> tuple[list[Record], bool]:
        if cmd.records is not None and cmd.record_ids is not None:
            raise _invalid("records", "give records or recordIds, not both")
        if cmd.records is None and cmd.record_ids is None:
            raise _invalid("records", "give records (new ones) or recordIds (stored ones)")
        count = len(cmd.records if cmd.records is not None else cmd.record_ids or [])
        if not 1 <= count <= MAX_JOB_RECORDS:
            raise _invalid("records", f"a job takes 1 to {MAX_JOB_RECORDS} records")
        if cmd.record_ids is not None:
            if len(set(cmd.record_ids)) != len(cmd.record_ids):
                raise _invalid("recordIds", "an id appears twice")
            found = {r.id: r for r in await self._records.get_many(cmd.workspace_id, cmd.record_ids)}
            unknown = [str(i) for i in cmd.record_ids if i not in found]
            if unknown:  # as for one record: another workspace's record is not found, not forbidden
                raise NotFound(f"{len(unknown)} of the records were not found, e.g. {unknown[0]}")
            return [found[i] for i in cmd.record_ids], False
        assert cmd.records is not None
        now = self._clock.now()
        made = []
        for index, new in enumerate(cmd.records):
            try:
                inputs = clean_inputs(new.inputs)
                check_identifying(inputs)
            except ValidationFailed as exc:
                raise _invalid(f"records[{index}]", exc.message) from exc
            made.append(
                Record(
                    id=self._ids.new_id(),
                    workspace_id=cmd.workspace_id,
                    kind=new.kind,
                    inputs=inputs,
                    status=RecordStatus.NEW,
                    created_at=now,
                    updated_at=now,
                )
            )
        return made, True


def _fingerprint(cmd: SubmitJobCommand) -> str:
    body = {
        "fields": list(cmd.fields),
        "providers": cmd.providers,
        "records": [[r.kind.value, sorted(r.inputs.items())] for r in cmd.records] if cmd.records else None,
        "recordIds": [str(i) for i in cmd.record_ids] if cmd.record_ids else None,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field_name}: {message}", details=(ErrorDetail(field=field_name, message=message),))
