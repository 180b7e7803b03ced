"""The search index as a replication sink: it follows record events and keeps each record's newest document."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from domain.kernel.events import Event, EventType
from domain.replication.replication import SinkUnavailable
from domain.search.search import SearchUnavailable, Tombstone, document_of
from ports.records import RecordReader
from ports.search import SearchIndex

RECORD_EVENTS = frozenset(
    {EventType.RECORD_CREATED, EventType.RECORD_UPDATED, EventType.RECORD_ENRICHED, EventType.RECORD_DELETED}
)


class SearchSink:
    """Notified, then fetched: an event names its record, whose current state (read now, with its version) is
    what the index gets; a record gone is a tombstone at the version of its deletion. A batch of events of one
    record is one document, and however late or often an event comes, the index ends at the record's last
    version (it ignores what is older than what it holds). Other events apply as nothing.

    Each index is a consumer of its own (`name`): an index put in place later starts at the beginning of the
    outbox, where every record has an event (the migration that brought search wrote one for each record
    stored before it), and so fills itself from the records as they are now."""

    def __init__(self, index: SearchIndex, records: RecordReader, name: str = "search") -> None:
        self._index, self._records = index, records
        self.name = name

    async def apply(self, events: list[Event]) -> dict[UUID, str]:
        touched: dict[UUID, dict[UUID, list[UUID]]] = defaultdict(dict)  # workspace -> record -> its events
        deleted: dict[UUID, int] = {}
        malformed: dict[UUID, str] = {}
        for event in events:
            if event.type not in RECORD_EVENTS:
                continue
            try:
                record_id = UUID(str(event.data["recordId"]))
                version = int(event.data["version"]) if event.type is EventType.RECORD_DELETED else 0
            except (KeyError, ValueError, TypeError) as exc:
                malformed[event.id] = f"malformed {event.type.value} event ({type(exc).__name__}: {exc})"
                continue
            touched[event.workspace_id].setdefault(record_id, []).append(event.id)
            if event.type is EventType.RECORD_DELETED:
                deleted[record_id] = max(deleted.get(record_id, 0), version)
        documents, tombstones = [], []
        for workspace_id, records in touched.items():
            found = {r.id: r for r in await self._records.get_many(workspace_id, list(records))}
            documents += [document_of(record, record.version) for record in found.values()]
            tombstones += [
                Tombstone(record_id=record_id, workspace_id=workspace_id, version=deleted[record_id])
                for record_id in records
                if record_id not in found and record_id in deleted
            ]
        if not documents and not tombstones:
            return malformed
        try:
            failed = await self._index.write(documents, tombstones)
        except SearchUnavailable as exc:
            raise SinkUnavailable(exc.message) from exc
        return malformed | {
            event_id: error
            for records in touched.values()
            for record_id, event_ids in records.items()
            if (error := failed.get(record_id)) is not None
            for event_id in event_ids
        }
