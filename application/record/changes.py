"""Every write of a record puts one event in the outbox, in its transaction: what replication (search, later
analytics) and webhooks follow. Each carries the record's version after the write."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.kernel.events import Event, EventType
from domain.records.record import Record
from ports.system import IdGenerator


def record_changed(ids: IdGenerator, type_: EventType, record: Record, at: datetime) -> Event:
    return Event(
        id=ids.new_id(),
        workspace_id=record.workspace_id,
        type=type_,
        data={
            "recordId": str(record.id),
            "kind": record.kind.value,
            "status": record.status.value,
            "version": record.version,
        },
        occurred_at=at,
    )


def record_deleted(ids: IdGenerator, workspace_id: UUID, record_id: UUID, version: int, at: datetime) -> Event:
    return Event(
        id=ids.new_id(),
        workspace_id=workspace_id,
        type=EventType.RECORD_DELETED,
        data={"recordId": str(record_id), "version": version},
        occurred_at=at,
    )
