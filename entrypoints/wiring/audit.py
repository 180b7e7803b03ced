"""The audit log's read side (every context writes its entries in its own unit of work)."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from adapters.memory.audit import MemoryAuditLogReader
from adapters.postgres.audit import PostgresAuditLogReader
from application.audit.list_audit_log import ListAuditLog
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.audit import AuditLogReader


class AuditWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(ListAuditLog)

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, AuditLogReader, memory=MemoryAuditLogReader, postgres=PostgresAuditLogReader)
