from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.enrichment.schema import EntityKind
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from domain.records.inputs import normalize_domain
from domain.records.record import Record, RecordStatus
from ports.records import RecordFilter, RecordReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListRecordsQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest
    kind: EntityKind | None = None
    status: RecordStatus | None = None
    domain: str | None = None


class ListRecords:
    """The workspace's records, newest first, cursor-paginated.

    Rules: any role (viewer and up); filters combine (kind, status, domain);
    the domain filter is normalized as a domain input is (`https://www.Acme.com/x`
    finds `acme.com`) and matches the domain input, or else the enriched
    company domain, exactly.
    """

    def __init__(self, workspaces: WorkspaceReader, records: RecordReader) -> None:
        self._workspaces = workspaces
        self._records = records

    async def __call__(self, query: ListRecordsQuery) -> Page[Record]:
        domain = normalize_domain(query.domain, field="domain") if query.domain is not None else None
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.RECORDS_READ)
        where = RecordFilter(kind=query.kind, status=query.status, domain=domain)
        return await self._records.list(query.workspace_id, query.page, where)
