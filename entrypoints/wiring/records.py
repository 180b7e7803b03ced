"""Records: a workspace's people and companies."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from adapters.memory.records import MemoryRecordReader
from adapters.postgres.records import PostgresRecordReader
from application.record.create_record import CreateRecord
from application.record.delete_record import DeleteRecord
from application.record.get_record import GetRecord
from application.record.list_records import ListRecords
from application.record.update_record import UpdateRecord
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.records import RecordReader


class RecordsWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(CreateRecord, ListRecords, GetRecord, UpdateRecord, DeleteRecord)

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, RecordReader, memory=MemoryRecordReader, postgres=PostgresRecordReader)
