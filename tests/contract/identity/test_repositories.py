"""Every repository method and the unit of work, on the memory and Postgres adapters alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.kernel.errors import Conflict
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership, Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import (
    new_invitation,
    new_membership,
    new_refresh_token,
    new_user,
    new_workspace,
    persist,
    token_hash,
    utc_now,
)

# --- users -------------------------------------------------------------------------------------------------------


async def test_users_add_then_get_by_id_and_by_email(backend: Backend) -> None:
    user = new_user()
    await persist(backend, user)

    async with backend.uow() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user
        assert await uow.users.get(uuid4()) is None
        assert await uow.users.get_by_email("nobody@example.com") is None


async def test_users_duplicate_email_is_a_conflict(backend: Backend) -> None:
    first = new_user(email="ann@example.com")
    await persist(backend, first)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.users.add(new_user(email="ann@example.com", name="Another Ann"))

    assert await backend.users.get_by_email("ann@example.com") == first


async def test_users_taken_id_is_a_conflict(backend: Backend) -> None:
    first = new_user()
    await persist(backend, first)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.users.add(replace(new_user(), id=first.id))

    assert await backend.users.get(first.id) == first


async def test_users_set_platform_admin_turns_the_flag_on_and_off(backend: Backend) -> None:
    user, bystander = new_user(), new_user()
    await persist(backend, user, bystander)

    async with backend.uow() as uow:
        await uow.users.set_platform_admin(user.id, True)
        await uow.users.set_platform_admin(uuid4(), True)  # unknown ids are ignored
        await uow.commit()
    promoted = await backend.users.get(user.id)
    assert promoted == replace(user, is_platform_admin=True)
    assert await backend.users.get(bystander.id) == bystander

    async with backend.uow() as uow:
        await uow.users.set_platform_admin(user.id, False)
        await uow.commit()
    assert await backend.users.get(user.id) == user


# --- workspaces --------------------------------------------------------------------------------------------------


async def test_workspaces_add_get_and_lock(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner, name="Acme Research")
    await persist(backend, owner, workspace)

    async with backend.uow() as uow:
        assert await uow.workspaces.get(workspace.id) == workspace
        assert await uow.workspaces.lock(workspace.id) == workspace
        assert await uow.workspaces.get(uuid4()) is None
        assert await uow.workspaces.lock(uuid4()) is None


async def test_workspaces_taken_id_is_a_conflict(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.workspaces.add(replace(workspace, name="Copy"))


async def test_workspaces_rename(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner, name="Acme"), new_workspace(owner, name="Other")
    await persist(backend, owner, workspace, other)

    async with backend.uow() as uow:
        await uow.workspaces.rename(workspace.id, "Acme Labs")
        await uow.workspaces.rename(uuid4(), "Ghost")  # unknown ids are ignored
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.workspaces.get(workspace.id) == replace(workspace, name="Acme Labs")
        assert await uow.workspaces.get(other.id) == other


async def test_workspaces_delete_cascades_to_memberships_and_invitations(backend: Backend) -> None:
    owner, member = new_user(), new_user()
    doomed, kept = new_workspace(owner, name="Doomed"), new_workspace(owner, name="Kept")
    invitation, kept_invitation = new_invitation(doomed, owner), new_invitation(kept, owner)
    await persist(
        backend,
        owner,
        member,
        doomed,
        kept,
        new_membership(doomed, owner, Role.OWNER),
        new_membership(doomed, member),
        new_membership(kept, owner, Role.OWNER),
        invitation,
        kept_invitation,
    )

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.workspaces.delete(uuid4())  # unknown ids are ignored
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.workspaces.get(doomed.id) is None
        assert await uow.memberships.get(doomed.id, owner.id) is None
        assert await uow.memberships.get(doomed.id, member.id) is None
        assert await uow.invitations.get(doomed.id, invitation.id) is None
        assert await uow.invitations.get_by_token_hash_for_update(invitation.token_hash) is None
        assert await uow.invitations.get_open_for_email(doomed.id, invitation.email) is None
        # the rest of the world is untouched
        assert await uow.workspaces.get(kept.id) == kept
        assert await uow.memberships.get(kept.id, owner.id) is not None
        assert await uow.invitations.get(kept.id, kept_invitation.id) == kept_invitation
        assert await uow.users.get(member.id) == member


# --- memberships -------------------------------------------------------------------------------------------------


async def test_memberships_add_and_get(backend: Backend) -> None:
    owner, outsider = new_user(), new_user()
    workspace = new_workspace(owner)
    membership = new_membership(workspace, owner, Role.OWNER)
    await persist(backend, owner, outsider, workspace, membership)

    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, owner.id) == membership
        assert await uow.memberships.get_for_share(workspace.id, owner.id) == membership
        assert await uow.memberships.get(workspace.id, outsider.id) is None
        assert await uow.memberships.get_for_share(workspace.id, outsider.id) is None
        assert await uow.memberships.get(uuid4(), owner.id) is None


async def test_memberships_duplicate_is_a_conflict(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    membership = new_membership(workspace, owner, Role.OWNER)
    await persist(backend, owner, workspace, membership)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.memberships.add(replace(membership, role=Role.VIEWER, created_at=utc_now()))

    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, owner.id) == membership


async def test_memberships_count_owners_update_and_remove(backend: Backend) -> None:
    ann, bob, cid = new_user(), new_user(), new_user()
    workspace, elsewhere = new_workspace(ann), new_workspace(cid)
    await persist(
        backend,
        ann,
        bob,
        cid,
        workspace,
        elsewhere,
        new_membership(workspace, ann, Role.OWNER),
        new_membership(workspace, bob, Role.OWNER),
        new_membership(workspace, cid, Role.ADMIN),
        new_membership(elsewhere, cid, Role.OWNER),
    )

    async with backend.uow() as uow:
        assert await uow.memberships.count_owners(workspace.id) == 2
        assert await uow.memberships.count_owners(elsewhere.id) == 1
        assert await uow.memberships.count_owners(uuid4()) == 0

        bob_membership = await uow.memberships.get(workspace.id, bob.id)
        assert bob_membership is not None
        await uow.memberships.update(replace(bob_membership, role=Role.VIEWER))
        assert await uow.memberships.count_owners(workspace.id) == 1
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, bob.id) == replace(bob_membership, role=Role.VIEWER)
        await uow.memberships.remove(workspace.id, ann.id)
        await uow.memberships.remove(workspace.id, uuid4())  # unknown members are ignored
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, ann.id) is None
        assert await uow.memberships.count_owners(workspace.id) == 0
        assert await uow.memberships.get(workspace.id, cid.id) is not None
        assert await uow.memberships.get(elsewhere.id, cid.id) is not None


async def test_memberships_member_ids_are_the_workspaces_members_in_joining_order(backend: Backend) -> None:
    ann, bob, cid = new_user(), new_user(), new_user()
    workspace, elsewhere = new_workspace(ann), new_workspace(cid)
    start = utc_now()
    await persist(
        backend,
        ann,
        bob,
        cid,
        workspace,
        elsewhere,
        new_membership(workspace, cid, Role.VIEWER, joined_at=start + timedelta(seconds=2)),
        new_membership(workspace, ann, Role.OWNER, joined_at=start),
        new_membership(workspace, bob, Role.MEMBER, joined_at=start + timedelta(seconds=1)),
        new_membership(elsewhere, cid, Role.OWNER),
    )

    async with backend.uow() as uow:
        assert await uow.memberships.member_ids(workspace.id) == [ann.id, bob.id, cid.id]
        assert await uow.memberships.member_ids(elsewhere.id) == [cid.id]
        assert await uow.memberships.member_ids(uuid4()) == []


async def test_memberships_update_of_a_non_member_creates_nothing(backend: Backend) -> None:
    owner, outsider = new_user(), new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, outsider, workspace)

    async with backend.uow() as uow:
        await uow.memberships.update(new_membership(workspace, outsider, Role.OWNER))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, outsider.id) is None
        assert await uow.memberships.count_owners(workspace.id) == 0


# --- refresh tokens ----------------------------------------------------------------------------------------------


async def test_refresh_tokens_add_and_get_by_hash(backend: Backend) -> None:
    user = new_user()
    token = new_refresh_token(user)
    await persist(backend, user, token)

    async with backend.uow() as uow:
        assert await uow.refresh_tokens.get_by_hash_for_update(token.token_hash) == token
        assert await uow.refresh_tokens.get_by_hash_for_update(token_hash()) is None


async def test_refresh_tokens_duplicate_hash_is_a_conflict(backend: Backend) -> None:
    user = new_user()
    token = new_refresh_token(user)
    await persist(backend, user, token)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.refresh_tokens.add(replace(new_refresh_token(user), token_hash=token.token_hash))


async def test_refresh_tokens_taken_id_is_a_conflict(backend: Backend) -> None:
    user = new_user()
    token = new_refresh_token(user)
    await persist(backend, user, token)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.refresh_tokens.add(replace(new_refresh_token(user), id=token.id))

    async with backend.uow() as uow:
        assert await uow.refresh_tokens.get_by_hash_for_update(token.token_hash) == token


async def test_refresh_tokens_mark_used(backend: Backend) -> None:
    user = new_user()
    token, sibling = new_refresh_token(user), new_refresh_token(user)
    await persist(backend, user, token, sibling)
    used_at = utc_now() + timedelta(minutes=3)

    async with backend.uow() as uow:
        await uow.refresh_tokens.mark_used(token.id, used_at)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.refresh_tokens.get_by_hash_for_update(token.token_hash) == replace(token, used_at=used_at)
        assert await uow.refresh_tokens.get_by_hash_for_update(sibling.token_hash) == sibling


async def test_refresh_tokens_revoke_family_counts_newly_revoked_and_spares_other_families(backend: Backend) -> None:
    user = new_user()
    family, other_family = uuid4(), uuid4()
    first, second, third = (new_refresh_token(user, family_id=family) for _ in range(3))
    earlier = utc_now() - timedelta(hours=1)
    first = replace(first, used_at=earlier)
    second = replace(second, used_at=earlier, revoked_at=earlier)
    bystander = new_refresh_token(user, family_id=other_family)
    await persist(backend, user, first, second, third, bystander)
    at = utc_now()

    async with backend.uow() as uow:
        assert await uow.refresh_tokens.revoke_family(family, at) == 2
        assert await uow.refresh_tokens.revoke_family(family, at + timedelta(seconds=1)) == 0
        assert await uow.refresh_tokens.revoke_family(uuid4(), at) == 0
        await uow.commit()

    async with backend.uow() as uow:
        get = uow.refresh_tokens.get_by_hash_for_update
        assert await get(first.token_hash) == replace(first, revoked_at=at)
        assert await get(second.token_hash) == second  # keeps its first revocation time
        assert await get(third.token_hash) == replace(third, revoked_at=at)
        assert await get(bystander.token_hash) == bystander


# --- invitations -------------------------------------------------------------------------------------------------


async def test_invitations_add_and_get_scoped_by_workspace(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    invitation = new_invitation(workspace, owner, role=Role.ADMIN)
    await persist(backend, owner, workspace, other, invitation)

    async with backend.uow() as uow:
        assert await uow.invitations.get(workspace.id, invitation.id) == invitation
        assert await uow.invitations.get(other.id, invitation.id) is None
        assert await uow.invitations.get(workspace.id, uuid4()) is None
        assert await uow.invitations.get_by_token_hash_for_update(invitation.token_hash) == invitation
        assert await uow.invitations.get_by_token_hash_for_update(token_hash()) is None


async def test_invitations_get_open_for_email(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    invitation = new_invitation(workspace, owner, email="dana@example.com")
    await persist(backend, owner, workspace, other, invitation)

    async with backend.uow() as uow:
        assert await uow.invitations.get_open_for_email(workspace.id, "dana@example.com") == invitation
        assert await uow.invitations.get_open_for_email(workspace.id, "eve@example.com") is None
        assert await uow.invitations.get_open_for_email(other.id, "dana@example.com") is None


async def test_invitations_second_open_invitation_for_the_same_email_is_a_conflict(backend: Backend) -> None:
    owner = new_user()
    workspace, other = new_workspace(owner), new_workspace(owner)
    first = new_invitation(workspace, owner, email="dana@example.com")
    await persist(backend, owner, workspace, other, first)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.invitations.add(new_invitation(workspace, owner, email="dana@example.com", role=Role.VIEWER))

    # the same person may be invited to another workspace, and another person to this one
    in_other = new_invitation(other, owner, email="dana@example.com")
    someone_else = new_invitation(workspace, owner, email="eve@example.com")
    await persist(backend, in_other, someone_else)
    async with backend.uow() as uow:
        assert await uow.invitations.get_open_for_email(workspace.id, "dana@example.com") == first
        assert await uow.invitations.get_open_for_email(other.id, "dana@example.com") == in_other


async def test_invitations_an_expired_invitation_stays_open_until_closed(backend: Backend) -> None:
    """Expiry is a use-case decision (CreateInvitation revokes and replaces); the slot stays taken."""
    owner = new_user()
    workspace = new_workspace(owner)
    expired = new_invitation(workspace, owner, email="dana@example.com", created_at=utc_now() - timedelta(days=10))
    await persist(backend, owner, workspace, expired)

    async with backend.uow() as uow:
        assert await uow.invitations.get_open_for_email(workspace.id, "dana@example.com") == expired
        with pytest.raises(Conflict):
            await uow.invitations.add(new_invitation(workspace, owner, email="dana@example.com"))


@pytest.mark.parametrize("close", ["revoke", "accept"])
async def test_invitations_closed_invitation_frees_the_email(backend: Backend, close: str) -> None:
    owner, dana = new_user(), new_user(email="dana@example.com")
    workspace = new_workspace(owner)
    first = new_invitation(workspace, owner, email=dana.email)
    await persist(backend, owner, dana, workspace, first)
    now = utc_now() + timedelta(minutes=5)
    if close == "revoke":
        first.revoke(now)
    else:
        first.accept(user_id=dana.id, email=dana.email, now=now)

    async with backend.uow() as uow:
        await uow.invitations.save(first)
        await uow.commit()

    second = new_invitation(workspace, owner, email=dana.email, role=Role.ADMIN)
    await persist(backend, second)
    async with backend.uow() as uow:
        assert await uow.invitations.get(workspace.id, first.id) == first
        assert await uow.invitations.get_open_for_email(workspace.id, dana.email) == second


async def test_invitations_save_persists_acceptance_and_revocation(backend: Backend) -> None:
    owner, dana = new_user(), new_user(email="dana@example.com")
    workspace = new_workspace(owner)
    accepted = new_invitation(workspace, owner, email=dana.email)
    revoked = new_invitation(workspace, owner, email="eve@example.com")
    untouched = new_invitation(workspace, owner, email="finn@example.com")
    await persist(backend, owner, dana, workspace, accepted, revoked, untouched)
    now = utc_now()
    accepted.accept(user_id=dana.id, email=dana.email, now=now)
    revoked.revoke(now)

    async with backend.uow() as uow:
        await uow.invitations.save(accepted)
        await uow.invitations.save(revoked)
        await uow.commit()

    async with backend.uow() as uow:
        stored = await uow.invitations.get_by_token_hash_for_update(accepted.token_hash)
        assert stored == accepted
        assert stored is not None
        assert (stored.accepted_by, stored.accepted_at) == (dana.id, now)
        assert await uow.invitations.get(workspace.id, revoked.id) == revoked
        assert await uow.invitations.get(workspace.id, untouched.id) == untouched
        assert await uow.invitations.get_open_for_email(workspace.id, dana.email) is None


async def test_invitations_duplicate_token_hash_is_a_conflict(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    first = new_invitation(workspace, owner)
    await persist(backend, owner, workspace, first)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.invitations.add(replace(new_invitation(workspace, owner), token_hash=first.token_hash))


async def test_invitations_taken_id_is_a_conflict(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    first = new_invitation(workspace, owner)
    await persist(backend, owner, workspace, first)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.invitations.add(replace(new_invitation(workspace, owner), id=first.id))

    async with backend.uow() as uow:
        assert await uow.invitations.get(workspace.id, first.id) == first


# --- unit of work ------------------------------------------------------------------------------------------------


class Boom(Exception):
    pass


async def test_uow_keeps_nothing_without_commit(backend: Backend) -> None:
    user = new_user()
    workspace = new_workspace(user)

    async with backend.uow() as uow:
        await uow.users.add(user)
        await uow.workspaces.add(workspace)
        assert await uow.users.get(user.id) == user  # visible inside its own transaction

    async with backend.uow() as uow:
        assert await uow.users.get(user.id) is None
        assert await uow.workspaces.get(workspace.id) is None
    assert await backend.users.get(user.id) is None


async def test_uow_commit_keeps_the_work(backend: Backend) -> None:
    user = new_user()

    async with backend.uow() as uow:
        await uow.users.add(user)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.users.get(user.id) == user
    assert await backend.users.get(user.id) == user


async def test_uow_exception_rolls_back(backend: Backend) -> None:
    kept, lost = new_user(), new_user()
    await persist(backend, kept)

    async def failing_work() -> None:
        async with backend.uow() as uow:
            await uow.users.add(lost)
            await uow.users.set_platform_admin(kept.id, True)
            raise Boom

    with pytest.raises(Boom):
        await failing_work()

    async with backend.uow() as uow:
        assert await uow.users.get(lost.id) is None
        assert await uow.users.get(kept.id) == kept


async def test_uow_exception_after_commit_keeps_only_the_committed_part(backend: Backend) -> None:
    committed, lost = new_user(), new_user()

    async def failing_work() -> None:
        async with backend.uow() as uow:
            await uow.users.add(committed)
            await uow.commit()
            await uow.users.add(lost)
            raise Boom

    with pytest.raises(Boom):
        await failing_work()

    assert await backend.users.get(committed.id) == committed
    assert await backend.users.get(lost.id) is None


async def test_uow_work_after_commit_is_rolled_back_unless_committed_again(backend: Backend) -> None:
    first, second, third = new_user(), new_user(), new_user()

    async with backend.uow() as uow:
        await uow.users.add(first)
        await uow.commit()
        await uow.users.add(second)
        assert await uow.users.get(second.id) == second

    assert await backend.users.get(first.id) == first
    assert await backend.users.get(second.id) is None

    async with backend.uow() as uow:
        await uow.users.add(second)
        await uow.commit()
        await uow.users.add(third)
        await uow.commit()

    assert await backend.users.get(second.id) == second
    assert await backend.users.get(third.id) == third


async def test_uow_after_a_conflict_a_new_uow_works(backend: Backend) -> None:
    taken = new_user(email="taken@example.com")
    await persist(backend, taken)

    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.users.add(new_user(email="taken@example.com"))

    fresh = new_user(email="fresh@example.com")
    async with backend.uow() as uow:
        await uow.users.add(fresh)
        await uow.commit()

    assert await backend.users.get_by_email("taken@example.com") == taken
    assert await backend.users.get_by_email("fresh@example.com") == fresh


async def test_uow_after_a_conflict_keeps_nothing_even_if_committed(backend: Backend) -> None:
    taken = new_user(email="taken@example.com")
    await persist(backend, taken)
    before_conflict = new_user()

    async with backend.uow() as uow:
        await uow.users.add(before_conflict)
        with pytest.raises(Conflict):
            await uow.users.add(new_user(email="taken@example.com"))
        await uow.commit()

    assert await backend.users.get(before_conflict.id) is None


async def test_uow_lock_holds_the_workspace_until_the_transaction_ends(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner, name="Acme")
    await persist(backend, owner, workspace)
    locked = asyncio.Event()

    async def holder() -> None:
        async with backend.uow() as uow:
            assert await uow.workspaces.lock(workspace.id) == workspace
            locked.set()
            await asyncio.sleep(0.2)  # a competitor that did not wait would read "Acme" now
            await uow.workspaces.rename(workspace.id, "Acme Labs")
            await uow.commit()

    async def competitor() -> Workspace | None:
        await locked.wait()
        async with backend.uow() as uow:
            return await uow.workspaces.lock(workspace.id)

    _, seen = await asyncio.gather(holder(), competitor())
    assert seen == replace(workspace, name="Acme Labs")


async def test_uow_get_for_share_keeps_the_membership_from_changing(backend: Backend) -> None:
    owner, member = new_user(), new_user()
    workspace = new_workspace(owner)
    membership = new_membership(workspace, member, Role.MEMBER)
    await persist(backend, owner, member, workspace, membership)
    shared = asyncio.Event()

    async def reader() -> tuple[Membership | None, Membership | None]:
        async with backend.uow() as uow:
            before = await uow.memberships.get_for_share(workspace.id, member.id)
            shared.set()
            await asyncio.sleep(0.2)  # a writer that did not wait would have committed by now
            return before, await uow.memberships.get(workspace.id, member.id)

    async def writer() -> None:
        await shared.wait()
        async with backend.uow() as uow:
            await uow.memberships.update(replace(membership, role=Role.ADMIN))
            await uow.commit()

    (before, during), _ = await asyncio.gather(reader(), writer())
    assert before == membership
    assert during == membership
    async with backend.uow() as uow:
        assert await uow.memberships.get(workspace.id, member.id) == replace(membership, role=Role.ADMIN)
