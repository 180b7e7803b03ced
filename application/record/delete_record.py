from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
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

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, cmd: DeleteRecordCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.RECORDS_WRITE)
            if not await uow.records.delete(cmd.workspace_id, cmd.record_id):
                raise NotFound("record not found")
            await uow.commit()
