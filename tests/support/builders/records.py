"""Records with realistic values, for contract tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from domain.enrichment.schema import EntityKind, FieldData
from domain.records.record import Provenance, Record, RecordStatus
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import utc_now


def enriched_person() -> tuple[dict[str, FieldData], dict[str, Provenance]]:
    """Every shape a field value takes, with provenance down to the microsecond."""
    fetched = utc_now().replace(microsecond=123456)
    fields: dict[str, FieldData] = {
        "title": "VP Growth",
        "seniority": "vp",
        "location": {"city": "Lyon", "country": "FR"},
        "companyDomain": "Acme.com",
    }
    provenance = {
        "title": Provenance(provider="apollo", fetched_at=fetched, confidence=0.92),
        "seniority": Provenance(provider="apollo", fetched_at=fetched, confidence=1.0),
        "location": Provenance(provider="clearbit", fetched_at=fetched - timedelta(days=3), confidence=0.5),
        "companyDomain": Provenance(provider="hunter", fetched_at=fetched, confidence=0.0),
    }
    return fields, provenance


def enriched_company() -> dict[str, FieldData]:
    return {
        "name": "Acme, Inc.",
        "employeeCount": 250,
        "annualRevenue": 12.5e6,
        "foundedYear": 1999,
        "technologies": ["react", "postgresql", "ünïcode"],
        "socialProfiles": {"twitter": "https://twitter.com/acme"},
    }


def new_record(
    workspace: Workspace,
    *,
    kind: EntityKind = EntityKind.PERSON,
    inputs: dict[str, str] | None = None,
    fields: dict[str, FieldData] | None = None,
    provenance: dict[str, Provenance] | None = None,
    status: RecordStatus = RecordStatus.NEW,
    created_at: datetime | None = None,
) -> Record:
    created = created_at or utc_now()
    return Record(
        id=uuid4(),
        workspace_id=workspace.id,
        kind=kind,
        inputs={"email": f"ann-{uuid4().hex[:8]}@acme.com"} if inputs is None else inputs,
        fields=fields or {},
        provenance=provenance or {},
        status=status,
        created_at=created,
        updated_at=created,
    )


async def store_records(backend: Backend, *records: Record) -> None:
    """Add the records in one committed unit of work (their workspaces must exist)."""
    async with backend.uow() as uow:
        for record in records:
            await uow.records.add(record)
        await uow.commit()
