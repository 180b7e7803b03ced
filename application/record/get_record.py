from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from domain.records.record import Record
from ports.records import RecordReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetRecordQuery:
    actor_id: UUID
    workspace_id: UUID
    record_id: UUID


class GetRecord:
    """One record with its fields and provenance. Rules: any role (viewer and up);
    another workspace's record is `NotFound`."""

    def __init__(self, workspaces: WorkspaceReader, records: RecordReader) -> None:
        self._workspaces = workspaces
        self._records = records

    async def __call__(self, query: GetRecordQuery) -> Record:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        record = await self._records.get(query.workspace_id, query.record_id)
        if record is None:
            raise NotFound("record not found")
        return record
