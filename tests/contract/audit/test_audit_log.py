"""AuditLogRepository and AuditLogReader on the memory and Postgres adapters alike."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from domain.kernel.errors import Conflict
from domain.kernel.pagination import PageRequest
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist
from tests.support.builders.credentials import new_audit_entry, store
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged


async def test_entries_keep_every_field_including_nested_details_and_no_actor(backend: Backend) -> None:
    actor = new_user()
    workspace = new_workspace(actor)
    by_person = new_audit_entry(
        workspace, actor, action="credential.updated", details={"label": "Ünïcode ✓", "changed": ["label", "secret"]}
    )
    by_system = new_audit_entry(workspace, None, action="credential.rotated", details={}, created_at=BASE)
    await persist(backend, actor, workspace)
    await store(backend, by_person, by_system)

    page = await backend.audit.list_for_workspace(workspace.id, PageRequest())

    assert page.items == [by_person, by_system]


async def test_taken_id_is_a_conflict(backend: Backend) -> None:
    actor = new_user()
    workspace = new_workspace(actor)
    entry = new_audit_entry(workspace, actor)
    await persist(backend, actor, workspace)
    await store(backend, entry)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.audit.add(replace(new_audit_entry(workspace, actor), id=entry.id))

    assert (await backend.audit.list_for_workspace(workspace.id, PageRequest())).items == [entry]


async def test_an_entry_is_kept_only_with_the_change_it_records(backend: Backend) -> None:
    actor = new_user()
    workspace = new_workspace(actor)
    await persist(backend, actor, workspace)

    async with backend.uow() as uow:
        await uow.audit.add(new_audit_entry(workspace, actor))
        assert (await backend.audit.list_for_workspace(workspace.id, PageRequest())).items == []
        # no commit: rolled back with the change

    assert (await backend.audit.list_for_workspace(workspace.id, PageRequest())).items == []


@pytest.mark.parametrize("limit", LIMITS)
async def test_reader_lists_a_workspaces_entries_newest_first_page_by_page(backend: Backend, limit: int) -> None:
    actor = new_user()
    workspace, elsewhere = new_workspace(actor), new_workspace(actor)
    entries = [new_audit_entry(workspace, actor, created_at=BASE + o) for o in OFFSETS]
    await persist(backend, actor, workspace, elsewhere)
    await store(backend, *entries, new_audit_entry(elsewhere, actor, created_at=BASE))
    expected = sorted(entries, key=lambda e: (e.created_at, e.id), reverse=True)

    pages = await all_pages(lambda page: backend.audit.list_for_workspace(workspace.id, page), limit)

    assert_paged(pages, expected, limit)


async def test_deleting_the_workspace_deletes_its_audit_log(backend: Backend) -> None:
    actor = new_user()
    doomed, kept = new_workspace(actor), new_workspace(actor)
    survivor = new_audit_entry(kept, actor)
    await persist(backend, actor, doomed, kept)
    await store(backend, new_audit_entry(doomed, actor), survivor)

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.commit()

    assert (await backend.audit.list_for_workspace(doomed.id, PageRequest())).items == []
    assert (await backend.audit.list_for_workspace(kept.id, PageRequest())).items == [survivor]
    assert (await backend.audit.list_for_workspace(uuid4(), PageRequest())).items == []
