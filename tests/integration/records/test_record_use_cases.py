"""UpdateRecord on an enriched record, on the memory adapters and on PostgreSQL.

Records get fields only from enrichment, which HTTP cannot do yet: these
tests store an enriched record through the repository and drive the use
cases the way the container builds them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.system.ids import Uuid7Generator
from application.record.create_record import CreateRecord, CreateRecordCommand
from application.record.update_record import UpdateRecord, UpdateRecordCommand
from domain.enrichment.schema import EntityKind
from domain.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.kernel.permissions import Role
from domain.records.record import Record, RecordStatus
from tests.conftest import Backend
from tests.support.builders.accounts import new_membership, new_user, new_workspace, persist
from tests.support.builders.records import enriched_person, new_record, store_records
from tests.support.clock import ManualClock

NOW = datetime(2025, 6, 2, 8, 0, 0, 500000, tzinfo=UTC)


async def world(backend: Backend, status: RecordStatus) -> tuple[Record, dict[Role, UUID]]:
    owner, member, viewer = new_user(), new_user(), new_user()
    workspace = new_workspace(owner)
    await persist(
        backend,
        owner,
        member,
        viewer,
        workspace,
        new_membership(workspace, owner, Role.OWNER),
        new_membership(workspace, member, Role.MEMBER),
        new_membership(workspace, viewer, Role.VIEWER),
    )
    fields, provenance = enriched_person()
    record = new_record(
        workspace,
        inputs={"email": "ann@acme.com", "firstName": "Anne"},
        fields=fields,
        provenance=provenance,
        status=status,
        created_at=NOW - timedelta(days=1),
    )
    await store_records(backend, record)
    return record, {Role.OWNER: owner.id, Role.MEMBER: member.id, Role.VIEWER: viewer.id}


def update(record: Record, actor: UUID, **inputs: str | None) -> UpdateRecordCommand:
    return UpdateRecordCommand(actor_id=actor, workspace_id=record.workspace_id, record_id=record.id, inputs=inputs)


@pytest.mark.parametrize("status", [s for s in RecordStatus if s is not RecordStatus.ENRICHING])
async def test_a_change_makes_the_record_new_again_and_keeps_its_fields(backend: Backend, status: RecordStatus) -> None:
    record, actors = await world(backend, status)
    uc = UpdateRecord(backend.uow(), ManualClock(NOW), Uuid7Generator())

    updated = await uc(update(record, actors[Role.MEMBER], firstName="Ann", email=None, domain="acme.com"))

    expected = replace(
        record,
        inputs={"firstName": "Ann", "domain": "acme.com"},
        status=RecordStatus.NEW,
        updated_at=NOW,
        version=record.version + 1,
    )
    assert updated == expected
    assert await backend.records.get(record.workspace_id, record.id) == expected
    (event,) = await backend.events.recent(record.workspace_id, 1)
    assert (event.type.value, event.data["recordId"], event.data["version"]) == (
        "record.updated",
        str(record.id),
        record.version + 1,
    )


async def test_a_request_that_changes_nothing_writes_nothing(backend: Backend) -> None:
    record, actors = await world(backend, RecordStatus.ENRICHED)
    uc = UpdateRecord(backend.uow(), ManualClock(NOW), Uuid7Generator())

    unchanged = await uc(update(record, actors[Role.OWNER], email=" ANN@acme.com ", firstName="Anne"))

    assert unchanged == record
    assert await backend.records.get(record.workspace_id, record.id) == record


async def test_a_record_being_enriched_cannot_change(backend: Backend) -> None:
    record, actors = await world(backend, RecordStatus.ENRICHING)
    uc = UpdateRecord(backend.uow(), ManualClock(NOW), Uuid7Generator())

    with pytest.raises(Conflict):
        await uc(update(record, actors[Role.MEMBER], firstName="Ann"))
    assert await backend.records.get(record.workspace_id, record.id) == record


async def test_roles_other_workspaces_and_rules(backend: Backend) -> None:
    record, actors = await world(backend, RecordStatus.PARTIAL)
    stranger = new_user()
    await persist(backend, stranger)
    uc = UpdateRecord(backend.uow(), ManualClock(NOW), Uuid7Generator())

    with pytest.raises(Forbidden):
        await uc(update(record, actors[Role.VIEWER], firstName="Ann"))
    with pytest.raises(NotFound):
        await uc(update(record, stranger.id, firstName="Ann"))
    with pytest.raises(ValidationFailed):
        await uc(update(record, actors[Role.OWNER], email=None))
    with pytest.raises(ValidationFailed):
        await uc(update(record, actors[Role.OWNER]))
    assert await backend.records.get(record.workspace_id, record.id) == record


async def test_create_stores_a_new_record_stamped_by_the_clock(backend: Backend) -> None:
    record, actors = await world(backend, RecordStatus.NEW)
    uc = CreateRecord(backend.uow(), ManualClock(NOW), Uuid7Generator())

    cmd = CreateRecordCommand(
        actor_id=actors[Role.MEMBER],
        workspace_id=record.workspace_id,
        kind=EntityKind.COMPANY,
        inputs={"domain": "https://www.Initech.com/", "companyName": "Initech"},
    )
    created = await uc(cmd)

    assert (created.inputs, created.status, created.fields, created.provenance) == (
        {"domain": "initech.com", "companyName": "Initech"},
        RecordStatus.NEW,
        {},
        {},
    )
    assert created.created_at == created.updated_at == NOW
    assert await backend.records.get(record.workspace_id, created.id) == created
