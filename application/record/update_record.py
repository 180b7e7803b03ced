from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.record.changes import record_changed
from domain.kernel.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from domain.kernel.events import EventType
from domain.kernel.permissions import Action
from domain.records.inputs import changed_inputs
from domain.records.record import Record, RecordStatus
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class UpdateRecordCommand:
    actor_id: UUID
    workspace_id: UUID
    record_id: UUID
    inputs: Mapping[str, str | None]  # a value replaces that input, None removes it; others are kept


class UpdateRecord:
    """Change a record's inputs.

    Rules: member or above; at least one input given; each given input is
    checked and normalized as on creation, None removes it, inputs not
    given are kept; the result must still identify the record; the kind
    never changes; another workspace's record is `NotFound`.

    When the inputs really change, the status goes back to `new`, so the
    record reads as "needs enrichment" again: its fields were found for the
    old inputs. The enriched fields and their provenance are kept: they were
    paid for, are often still right (a fixed typo in a name), and the next
    enrichment overwrites what it finds. A record that is `enriching` cannot
    change (`Conflict`): the running enrichment would store results for the
    old inputs over the new status. A request that changes nothing writes
    nothing and leaves the status as it is.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: UpdateRecordCommand) -> Record:
        if not cmd.inputs:
            raise ValidationFailed(
                "give at least one input to change", details=(ErrorDetail(field="inputs", message="nothing to change"),)
            )
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.RECORDS_WRITE)
            record = await uow.records.get_for_update(cmd.workspace_id, cmd.record_id)
            if record is None:
                raise NotFound("record not found")
            inputs = changed_inputs(record.inputs, cmd.inputs)
            if inputs == record.inputs:
                return record
            if record.status is RecordStatus.ENRICHING:
                raise Conflict("the record is being enriched; change it once the enrichment ends")
            record.inputs = inputs
            record.status = RecordStatus.NEW
            record.updated_at = self._clock.now()
            await uow.records.save(record)
            await uow.events.add([record_changed(self._ids, EventType.RECORD_UPDATED, record, record.updated_at)])
            await uow.commit()
        return record
