"""Invariants of the permission matrix (domain/kernel/permissions.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.permissions import MINIMUM_ROLE, Action, Role, can, can_change_role, can_grant, can_manage_member

roles = st.sampled_from(Role)
actions = st.sampled_from(Action)


def test_every_action_has_a_minimum_role() -> None:
    assert set(MINIMUM_ROLE) == set(Action)
    assert all(isinstance(role, Role) for role in MINIMUM_ROLE.values())


def test_roles_are_totally_ordered_from_viewer_to_owner() -> None:
    assert sorted(Role) == [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]
    assert all(Role.parse(role.label) is role for role in Role)


@given(actor=roles, role=roles)
def test_no_role_grants_a_role_above_its_own(actor: Role, role: Role) -> None:
    if can_grant(actor, role):
        assert role <= actor


@given(actor=roles, role=roles)
def test_only_owners_grant_admin_or_owner(actor: Role, role: Role) -> None:
    if role >= Role.ADMIN and can_grant(actor, role):
        assert actor is Role.OWNER


@given(role=roles)
def test_owners_grant_every_role(role: Role) -> None:
    assert can_grant(Role.OWNER, role)


@given(actor=roles, role=roles)
def test_only_member_managers_grant_anything(actor: Role, role: Role) -> None:
    if can_grant(actor, role):
        assert can(actor, Action.MEMBERS_MANAGE)


@given(target=roles, new_role=roles)
def test_admins_never_manage_admins_or_owners(target: Role, new_role: Role) -> None:
    if target >= Role.ADMIN:
        assert not can_manage_member(Role.ADMIN, target)
        assert not can_change_role(Role.ADMIN, target, new_role)
    if new_role >= Role.ADMIN:
        assert not can_change_role(Role.ADMIN, target, new_role)


@given(target=roles)
def test_admins_manage_the_roles_below_admin(target: Role) -> None:
    assert can_manage_member(Role.ADMIN, target) is (target < Role.ADMIN)


@given(actor=st.sampled_from([Role.VIEWER, Role.MEMBER]), target=roles, new_role=roles)
def test_viewers_and_members_manage_nobody(actor: Role, target: Role, new_role: Role) -> None:
    assert not can_grant(actor, new_role)
    assert not can_manage_member(actor, target)
    assert not can_change_role(actor, target, new_role)


@given(low=roles, high=roles, action=actions)
def test_can_is_monotone_in_the_role(low: Role, high: Role, action: Action) -> None:
    if low <= high and can(low, action):
        assert can(high, action)


@given(action=actions)
def test_owners_can_do_everything(action: Action) -> None:
    assert can(Role.OWNER, action)


@given(action=actions)
def test_viewers_can_only_do_viewer_actions(action: Action) -> None:
    assert can(Role.VIEWER, action) is (MINIMUM_ROLE[action] is Role.VIEWER)


@given(role=roles, action=actions)
def test_can_means_reaching_the_minimum_role(role: Role, action: Action) -> None:
    assert can(role, action) is (role >= MINIMUM_ROLE[action])


@given(actor=roles, target=roles, new_role=roles)
def test_changing_a_role_needs_managing_the_member_and_granting_the_new_role(
    actor: Role, target: Role, new_role: Role
) -> None:
    if can_change_role(actor, target, new_role):
        assert can_manage_member(actor, target)
        assert can_grant(actor, new_role)
        assert new_role <= actor
        assert target <= actor


@given(actor=roles, low=roles, high=roles)
def test_granting_is_downward_closed(actor: Role, low: Role, high: Role) -> None:
    if low <= high and can_grant(actor, high):
        assert can_grant(actor, low)
