from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.record.changes import record_deleted
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class DeleteRecordCommand:
    actor_id: UUID
    workspace_id: UUID
    record_id: UUID


class DeleteRecord:
    """Delete a record with its fields and provenance. Rules: member or above;
    another workspace's record is `NotFound`; a record being enriched may be
    deleted too (whatever enriches it must expect the record to be gone)."""

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, cmd: DeleteRecordCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.RECORDS_WRITE)
            version = await uow.records.delete(cmd.workspace_id, cmd.record_id)
            if version is None:
                raise NotFound("record not found")
            event = record_deleted(self._ids, cmd.workspace_id, cmd.record_id, version, self._clock.now())
            await uow.events.add([event])
            await uow.commit()
