"""The read side (UserReader, WorkspaceReader, TeamReader) on the memory and Postgres adapters alike."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView, WorkspaceView
from tests.conftest import Backend
from tests.support.builders.accounts import (
    new_invitation,
    new_membership,
    new_user,
    new_workspace,
    persist,
)
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged

# --- users -------------------------------------------------------------------------------------------------------


async def test_user_reader_get_and_get_by_email(backend: Backend) -> None:
    ann, bob = new_user(), new_user()
    await persist(backend, ann, bob)

    assert await backend.users.get(ann.id) == ann
    assert await backend.users.get_by_email(bob.email) == bob
    assert await backend.users.get(uuid4()) is None
    assert await backend.users.get_by_email("nobody@example.com") is None


async def test_readers_see_committed_data_only(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    invitation = new_invitation(workspace, owner)
    everything = PageRequest.of(limit=50, cursor=None)

    async with backend.uow() as uow:
        await uow.users.add(owner)
        await uow.workspaces.add(workspace)
        await uow.memberships.add(new_membership(workspace, owner, Role.OWNER))
        await uow.invitations.add(invitation)

        assert await backend.users.get(owner.id) is None
        assert await backend.users.get_by_email(owner.email) is None
        assert await backend.workspaces.role_of(workspace.id, owner.id) is None
        assert await backend.workspaces.get_for_member(workspace.id, owner.id) is None
        assert (await backend.workspaces.list_for_member(owner.id, everything)).items == []
        assert (await backend.team.list_members(workspace.id, everything)).items == []
        assert (await backend.team.list_invitations(workspace.id, everything)).items == []

        await uow.commit()

        assert await backend.users.get(owner.id) == owner
        assert await backend.workspaces.role_of(workspace.id, owner.id) is Role.OWNER
        assert len((await backend.workspaces.list_for_member(owner.id, everything)).items) == 1
        assert len((await backend.team.list_members(workspace.id, everything)).items) == 1
        assert (await backend.team.list_invitations(workspace.id, everything)).items == [invitation]

        await uow.workspaces.rename(workspace.id, "Uncommitted")
        view = await backend.workspaces.get_for_member(workspace.id, owner.id)
        assert view is not None
        assert view.name == workspace.name


# --- workspaces --------------------------------------------------------------------------------------------------


async def test_workspace_reader_role_of_and_get_for_member(backend: Backend) -> None:
    owner, viewer, outsider = new_user(), new_user(), new_user()
    workspace = new_workspace(owner, name="Acme Research")
    await persist(
        backend,
        owner,
        viewer,
        outsider,
        workspace,
        new_membership(workspace, owner, Role.OWNER),
        new_membership(workspace, viewer, Role.VIEWER),
    )

    assert await backend.workspaces.role_of(workspace.id, owner.id) is Role.OWNER
    assert await backend.workspaces.role_of(workspace.id, viewer.id) is Role.VIEWER
    assert await backend.workspaces.role_of(workspace.id, outsider.id) is None
    assert await backend.workspaces.role_of(uuid4(), owner.id) is None

    assert await backend.workspaces.get_for_member(workspace.id, viewer.id) == WorkspaceView(
        id=workspace.id, name="Acme Research", role=Role.VIEWER, created_at=workspace.created_at
    )
    assert await backend.workspaces.get_for_member(workspace.id, outsider.id) is None
    assert await backend.workspaces.get_for_member(uuid4(), owner.id) is None


async def test_workspace_reader_follows_renames_role_changes_and_deletes(backend: Backend) -> None:
    owner, member = new_user(), new_user()
    workspace = new_workspace(owner)
    membership = new_membership(workspace, member, Role.MEMBER)
    await persist(backend, owner, member, workspace, new_membership(workspace, owner, Role.OWNER), membership)

    async with backend.uow() as uow:
        await uow.workspaces.rename(workspace.id, "Renamed")
        membership.role = Role.ADMIN
        await uow.memberships.update(membership)
        await uow.commit()
    view = await backend.workspaces.get_for_member(workspace.id, member.id)
    assert view is not None
    assert (view.name, view.role) == ("Renamed", Role.ADMIN)

    async with backend.uow() as uow:
        await uow.workspaces.delete(workspace.id)
        await uow.commit()
    assert await backend.workspaces.get_for_member(workspace.id, member.id) is None
    assert await backend.workspaces.role_of(workspace.id, member.id) is None
    assert (await backend.workspaces.list_for_member(member.id, PageRequest())).items == []


@pytest.mark.parametrize("limit", LIMITS)
async def test_workspace_reader_lists_a_members_workspaces_page_by_page(backend: Backend, limit: int) -> None:
    user, stranger = new_user(), new_user()
    roles = list(Role)
    workspaces = [new_workspace(stranger, name=f"Team {i}", created_at=BASE + o) for i, o in enumerate(OFFSETS)]
    # joined in the reverse order of creation: the list follows the workspaces' own (created_at, id)
    memberships = [
        new_membership(w, user, roles[i % len(roles)], joined_at=BASE + timedelta(days=30 - i))
        for i, w in enumerate(workspaces)
    ]
    not_mine = [new_workspace(stranger, created_at=BASE + timedelta(microseconds=i)) for i in range(2)]
    await persist(
        backend,
        user,
        stranger,
        *workspaces,
        *not_mine,
        *memberships,
        *(new_membership(w, stranger, Role.OWNER) for w in not_mine),
    )
    expected = [
        WorkspaceView(id=w.id, name=w.name, role=m.role, created_at=w.created_at)
        for w, m in sorted(zip(workspaces, memberships, strict=True), key=lambda wm: (wm[0].created_at, wm[0].id))
    ]

    pages = await all_pages(lambda page: backend.workspaces.list_for_member(user.id, page), limit)

    assert_paged(pages, expected, limit)


async def test_workspace_reader_lists_nothing_for_a_user_without_workspaces(backend: Backend) -> None:
    user = new_user()
    await persist(backend, user)

    page = await backend.workspaces.list_for_member(user.id, PageRequest.of(limit=10, cursor=None))

    assert page.items == []
    assert page.next_cursor is None
    assert page.limit == 10


# --- team --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", LIMITS)
async def test_team_reader_lists_members_in_join_order_page_by_page(backend: Backend, limit: int) -> None:
    owner = new_user(name="Owner", created_at=BASE)
    workspace, elsewhere = new_workspace(owner, created_at=BASE), new_workspace(owner, created_at=BASE)
    people = [new_user(name=f"Person {i}", created_at=BASE - timedelta(days=i)) for i in range(len(OFFSETS) - 1)]
    roles = [Role.VIEWER, Role.MEMBER, Role.ADMIN]
    memberships = [new_membership(workspace, owner, Role.OWNER, joined_at=BASE + OFFSETS[0])] + [
        new_membership(workspace, p, roles[i % len(roles)], joined_at=BASE + o)
        for i, (p, o) in enumerate(zip(people, OFFSETS[1:], strict=True))
    ]
    await persist(
        backend,
        owner,
        *people,
        workspace,
        elsewhere,
        *memberships,
        new_membership(elsewhere, people[0], Role.OWNER, joined_at=BASE - timedelta(days=9)),
    )
    users = {u.id: u for u in [owner, *people]}
    expected = [
        MemberView(
            user_id=m.user_id,
            email=users[m.user_id].email,
            name=users[m.user_id].name,
            role=m.role,
            joined_at=m.created_at,
        )
        for m in sorted(memberships, key=lambda m: (m.created_at, m.user_id))
    ]

    pages = await all_pages(lambda page: backend.team.list_members(workspace.id, page), limit)

    assert_paged(pages, expected, limit)


@pytest.mark.parametrize("limit", LIMITS)
async def test_team_reader_lists_invitations_newest_first_page_by_page(backend: Backend, limit: int) -> None:
    owner, dana = new_user(), new_user()
    workspace, elsewhere = new_workspace(owner), new_workspace(owner)
    invitations = [
        new_invitation(workspace, owner, role=Role.VIEWER if i % 2 else Role.ADMIN, created_at=BASE + o)
        for i, o in enumerate(OFFSETS)
    ]
    # closed invitations are listed too, with their state
    invitations[0].revoke(BASE + timedelta(days=3))
    invitations[1].email = dana.email
    invitations[1].accept(user_id=dana.id, email=dana.email, now=BASE + timedelta(hours=1))
    await persist(backend, owner, dana, workspace, elsewhere, *invitations, new_invitation(elsewhere, owner))
    expected = sorted(invitations, key=lambda i: (i.created_at, i.id), reverse=True)

    pages = await all_pages(lambda page: backend.team.list_invitations(workspace.id, page), limit)

    assert_paged(pages, expected, limit)


async def test_team_reader_lists_nothing_for_an_unknown_workspace(backend: Backend) -> None:
    first_page = PageRequest.of(limit=5, cursor=None)

    members = await backend.team.list_members(uuid4(), first_page)
    invitations: Page[Invitation] = await backend.team.list_invitations(uuid4(), first_page)

    assert (members.items, members.next_cursor) == ([], None)
    assert (invitations.items, invitations.next_cursor) == ([], None)
