from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from uuid import UUID, uuid5

from application.access import authorize
from application.enrichment.paid_run import PaidRun
from application.enrichment.waterfall_run import WaterfallResult
from application.record.changes import record_changed
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import provider_order
from domain.enrichment.schema import COMPANY_FIELDS, PERSON_FIELDS, EntityKind
from domain.enrichment.waterfall import Attempt, RecordedAttempt
from domain.kernel.errors import ErrorDetail, NotFound, ValidationFailed
from domain.kernel.events import EventType
from domain.kernel.permissions import Action
from domain.records.inputs import check_identifying, clean_inputs
from domain.records.record import Record, RecordStatus
from ports.enrichment import ProviderDirectory
from ports.records import RecordReader
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class EnrichmentPolicy:
    freshness: timedelta = timedelta(days=30)
    # How long a pending answer is asked again: within this route's time budget, or a job record's.
    enrich_patience: Patience
    job_patience: Patience


@dataclass(slots=True, kw_only=True, frozen=True)
class EnrichRecordCommand:
    actor_id: UUID
    workspace_id: UUID
    fields: tuple[str, ...]
    record_id: UUID | None = None
    kind: EntityKind | None = None  # with inputs: a new record
    inputs: dict[str, str] = field(default_factory=dict)
    providers: list[str] | None = None
    max_credits: int | None = None
    idempotency_key: str | None = None


class EnrichRecord:
    """Enrich one record now, through the waterfall.

    Rules: members and up; the wanted fields belong to the record's kind; the
    per-record ceiling (default: the most the providers could cost) is
    reserved up front (`InsufficientCredits` if not available), each billable
    call is charged against it once, keyed by (run, record, provider), in the
    transaction that saves the record (see PaidRun), and the rest is
    released; cached answers cost 0; a pending answer is asked again
    within the policy's `enrich_patience`; the record is saved with its found
    fields, their provenance, its status and every attempt. With an
    idempotency key a retry replays the run's credit entries and creates no
    second record.
    """

    def __init__(
        self,
        workspaces: WorkspaceReader,
        records: RecordReader,
        run: PaidRun,
        clock: Clock,
        ids: IdGenerator,
        policy: EnrichmentPolicy,
        directory: ProviderDirectory,
    ) -> None:
        self._directory = directory
        self._workspaces = workspaces
        self._records = records
        self._run = run
        self._clock = clock
        self._ids = ids
        self._patience = policy.enrich_patience

    async def __call__(self, cmd: EnrichRecordCommand) -> tuple[Record, list[Attempt]]:
        await authorize(self._workspaces, cmd.workspace_id, cmd.actor_id, Action.JOBS_RUN)
        record = await self._record(cmd)
        if cmd.record_id is None and (replayed := await self._records.get(cmd.workspace_id, record.id)):
            return replayed, []  # a retry of a request that created its record: run nothing again
        wanted = _check_fields(record.kind, cmd.fields)
        order = provider_order(cmd.providers, self._directory.names())
        run_id = cmd.idempotency_key or self._ids.new_id().hex
        result, saved = await self._run(
            record,
            wanted,
            order,
            run_id=f"enrich:{run_id}",
            max_credits=cmd.max_credits,
            patience=self._patience,
            save=partial(self._save, record=record, run_id=run_id, existing=cmd.record_id is not None),
        )
        return saved, list(result.attempts)

    async def _save(
        self, uow: UnitOfWork, result: WaterfallResult, *, record: Record, run_id: str, existing: bool
    ) -> Record:
        """The record with what the run found (the stored one, locked, if it existed), and its attempts."""
        stored = await uow.records.get_for_update(record.workspace_id, record.id) if existing else None
        if existing and stored is None:
            raise NotFound("record not found")
        saved = stored or record
        result.apply_to(saved, now=self._clock.now())
        if stored is None:
            await uow.records.add(record)
        else:
            await uow.records.save(stored)
        now = self._clock.now()
        change = EventType.RECORD_UPDATED if stored is not None else EventType.RECORD_CREATED
        await uow.events.add([record_changed(self._ids, change, saved, now)])
        await uow.attempts.add(
            [
                RecordedAttempt(
                    id=self._ids.new_id(),
                    workspace_id=record.workspace_id,
                    record_id=record.id,
                    run_id=run_id,
                    attempt=attempt,
                    created_at=now,
                )
                for attempt in result.attempts
            ]
        )
        return saved

    async def _record(self, cmd: EnrichRecordCommand) -> Record:
        if cmd.record_id is not None:
            found = await self._records.get(cmd.workspace_id, cmd.record_id)
            if found is None:
                raise NotFound("record not found")
            return found
        if cmd.kind is None:
            raise _invalid("record", "give a recordId, or a kind with inputs")
        inputs = clean_inputs(cmd.inputs)
        check_identifying(inputs)
        now = self._clock.now()
        # A retried request names the same new record, so it is not created twice.
        record_id = uuid5(cmd.workspace_id, f"enrich:{cmd.idempotency_key}") if cmd.idempotency_key else None
        return Record(
            id=record_id or self._ids.new_id(),
            workspace_id=cmd.workspace_id,
            kind=cmd.kind,
            inputs=inputs,
            status=RecordStatus.NEW,
            created_at=now,
            updated_at=now,
        )


def _check_fields(kind: EntityKind, fields: tuple[str, ...]) -> frozenset[str]:
    allowed = PERSON_FIELDS if kind is EntityKind.PERSON else COMPANY_FIELDS
    unknown = [f for f in fields if f not in allowed]
    if not fields or unknown:
        raise _invalid("fields", f"ask for one or more of: {', '.join(allowed)}")
    return frozenset(fields)


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field_name}: {message}", details=(ErrorDetail(field=field_name, message=message),))
