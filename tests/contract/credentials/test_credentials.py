"""CredentialRepository and CredentialReader on the memory and Postgres adapters alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.credentials.credential import Credential
from domain.kernel.errors import Conflict
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from tests.conftest import Backend
from tests.support.builders.accounts import new_membership, new_user, new_workspace, persist, utc_now
from tests.support.builders.credentials import new_credential, sealed, store
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged


async def test_add_then_get_scoped_by_workspace(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    credential = new_credential(workspace, owner, provider="hunter", label="Hunter prod")
    await persist(backend, owner, workspace, other)
    await store(backend, credential)

    async with backend.uow() as uow:
        assert await uow.credentials.get_for_update(workspace.id, credential.id) == credential
        assert await uow.credentials.get_for_update(other.id, credential.id) is None
        assert await uow.credentials.get_for_update(workspace.id, uuid4()) is None
    assert await backend.credentials.get(workspace.id, credential.id) == credential
    assert await backend.credentials.get(other.id, credential.id) is None
    assert await backend.credentials.get(workspace.id, uuid4()) is None


async def test_taken_id_is_a_conflict_and_the_unit_of_work_keeps_nothing(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    credential = new_credential(workspace, owner)
    await persist(backend, owner, workspace)
    await store(backend, credential)
    before_conflict = new_credential(workspace, owner, label="Second")

    async with backend.uow() as uow:
        await uow.credentials.add(before_conflict)
        with pytest.raises(Conflict):
            await uow.credentials.add(replace(new_credential(workspace, owner), id=credential.id))
        await uow.commit()

    assert await backend.credentials.get(workspace.id, credential.id) == credential
    assert await backend.credentials.get(workspace.id, before_conflict.id) is None


async def test_save_changes_label_secret_and_updated_at_only(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    credential, bystander = new_credential(workspace, owner), new_credential(workspace, owner, label="Other")
    await persist(backend, owner, workspace, other)
    await store(backend, credential, bystander)
    later = utc_now() + timedelta(minutes=5)
    changed = replace(credential, label="Renamed", sealed=sealed("v2"), last4="zz99", updated_at=later)

    async with backend.uow() as uow:
        await uow.credentials.save(replace(changed, provider="clearbit", created_at=later, created_by=uuid4()))
        await uow.credentials.save(replace(changed, workspace_id=other.id, label="Moved"))  # wrong workspace: ignored
        await uow.credentials.save(replace(changed, id=uuid4()))  # unknown id: ignored
        await uow.commit()

    assert await backend.credentials.get(workspace.id, credential.id) == changed
    assert await backend.credentials.get(other.id, credential.id) is None
    assert await backend.credentials.get(workspace.id, bystander.id) == bystander


async def test_delete_is_scoped_by_workspace(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    doomed, kept = new_credential(workspace, owner), new_credential(workspace, owner)
    await persist(backend, owner, workspace, other)
    await store(backend, doomed, kept)

    async with backend.uow() as uow:
        await uow.credentials.delete(other.id, kept.id)  # another workspace's id: nothing happens
        await uow.credentials.delete(workspace.id, doomed.id)
        await uow.credentials.delete(workspace.id, uuid4())
        await uow.commit()

    assert await backend.credentials.get(workspace.id, doomed.id) is None
    assert await backend.credentials.get(workspace.id, kept.id) == kept


async def test_rows_not_under_a_key_come_in_id_order_from_every_workspace(backend: Backend) -> None:
    owner = new_user()
    first, second = new_workspace(owner), new_workspace(owner)
    stale = [new_credential(ws, owner, key_version=v) for ws in (first, second) for v in ("v1", "old", "v1")]
    current = [new_credential(ws, owner, key_version="v2") for ws in (first, second)]
    await persist(backend, owner, first, second)
    await store(backend, *stale, *current)
    in_order = sorted(stale, key=lambda c: c.id)

    assert await backend.credentials.count_not_under_key("v2") == len(stale)
    assert await backend.credentials.count_not_under_key("v1") == 4
    assert await backend.credentials.count_not_under_key("never") == len(stale) + len(current)
    async with backend.uow() as uow:
        list_stale = uow.credentials.list_not_under_key_for_update
        assert await list_stale("v2", after=None, limit=100) == in_order
        assert await list_stale("v2", after=None, limit=2) == in_order[:2]
        assert await list_stale("v2", after=in_order[1].id, limit=3) == in_order[2:5]
        assert await list_stale("v2", after=in_order[-1].id, limit=3) == []
        assert await list_stale("v2", after=UUID(int=(1 << 128) - 1), limit=3) == []


@pytest.mark.parametrize("limit", LIMITS)
async def test_reader_lists_a_workspaces_credentials_newest_first_page_by_page(backend: Backend, limit: int) -> None:
    owner = new_user()
    workspace, elsewhere = new_workspace(owner), new_workspace(owner)
    credentials = [
        new_credential(workspace, owner, label=f"Key {i}", created_at=BASE + o) for i, o in enumerate(OFFSETS)
    ]
    await persist(backend, owner, workspace, elsewhere)
    await store(backend, *credentials, new_credential(elsewhere, owner, created_at=BASE))
    expected = sorted(credentials, key=lambda c: (c.created_at, c.id), reverse=True)

    pages = await all_pages(lambda page: backend.credentials.list_for_workspace(workspace.id, page), limit)

    assert_paged(pages, expected, limit)


async def test_reader_sees_committed_data_only(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    credential = new_credential(workspace, owner)
    await persist(backend, owner, workspace, new_membership(workspace, owner, Role.OWNER))

    async with backend.uow() as uow:
        await uow.credentials.add(credential)
        assert await backend.credentials.get(workspace.id, credential.id) is None
        assert (await backend.credentials.list_for_workspace(workspace.id, PageRequest())).items == []
        assert await backend.credentials.count_not_under_key("v2") == 0
        await uow.commit()
    assert await backend.credentials.get(workspace.id, credential.id) == credential
    assert await backend.credentials.count_not_under_key("v2") == 1


async def test_deleting_the_workspace_deletes_its_credentials(backend: Backend) -> None:
    owner = new_user()
    doomed, kept = new_workspace(owner), new_workspace(owner)
    gone, survivor = new_credential(doomed, owner), new_credential(kept, owner)
    await persist(backend, owner, doomed, kept)
    await store(backend, gone, survivor)

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.commit()

    assert await backend.credentials.get(doomed.id, gone.id) is None
    assert await backend.credentials.get(kept.id, survivor.id) == survivor
    assert await backend.credentials.count_not_under_key("v2") == 1


async def test_get_for_update_holds_the_credential_until_the_transaction_ends(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    credential = new_credential(workspace, owner, label="Before")
    await persist(backend, owner, workspace)
    await store(backend, credential)
    locked = asyncio.Event()

    async def holder() -> None:
        async with backend.uow() as uow:
            held = await uow.credentials.get_for_update(workspace.id, credential.id)
            assert held is not None
            locked.set()
            await asyncio.sleep(0.2)  # a competitor that did not wait would read "Before" now
            await uow.credentials.save(replace(held, label="After"))
            await uow.commit()

    async def competitor() -> Credential | None:
        await locked.wait()
        async with backend.uow() as uow:
            return await uow.credentials.get_for_update(workspace.id, credential.id)

    _, seen = await asyncio.gather(holder(), competitor())
    assert seen == replace(credential, label="After")
