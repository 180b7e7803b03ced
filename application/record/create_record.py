from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.record.changes import record_changed
from domain.enrichment.schema import EntityKind
from domain.kernel.events import EventType
from domain.kernel.permissions import Action
from domain.records.inputs import clean_inputs
from domain.records.record import Record, RecordStatus
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateRecordCommand:
    actor_id: UUID
    workspace_id: UUID
    kind: EntityKind
    inputs: Mapping[str, str]  # by INPUT_FIELDS name


class CreateRecord:
    """Store a person or a company for enrichment.

    Rules: member or above; the kind is person or company; inputs are named
    from INPUT_FIELDS only, each 1-500 characters once trimmed, without
    control characters; an email is normalized (trimmed, lower-case) and must
    be valid; a domain is lower-cased and stripped of scheme, `www.`, port
    and path, and must be a domain name; at least one input identifies the
    record: an email, a domain, a LinkedIn URL, or a name (fullName, or
    firstName and lastName) with a companyName. A new record is `new`, with
    no fields and no provenance.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: CreateRecordCommand) -> Record:
        inputs = clean_inputs(cmd.inputs)
        now = self._clock.now()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.RECORDS_WRITE)
            record = Record(
                id=self._ids.new_id(),
                workspace_id=cmd.workspace_id,
                kind=cmd.kind,
                inputs=inputs,
                status=RecordStatus.NEW,
                created_at=now,
                updated_at=now,
            )
            await uow.records.add(record)
            await uow.events.add([record_changed(self._ids, EventType.RECORD_CREATED, record, now)])
            await uow.commit()
        return record
