from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.caching import forget_roles
from domain.kernel.errors import Conflict, Forbidden, NotFound
from domain.kernel.permissions import Action, Role, can_change_role
from domain.workspaces.workspace import MemberView
from ports.cache import Cache
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class ChangeMemberRoleCommand:
    actor_id: UUID
    workspace_id: UUID
    user_id: UUID
    role: Role


class ChangeMemberRole:
    """Give a member another role.

    Rules: admins manage members below admin and grant roles below admin;
    owners manage everyone and may promote to admin or owner; the last owner
    can never be demoted (`Conflict`). The new role applies from the next request on.
    """

    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self._uow = uow
        self._cache = cache

    async def __call__(self, cmd: ChangeMemberRoleCommand) -> MemberView:
        async with self._uow as uow:
            actor = await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.MEMBERS_MANAGE, team_change=True)
            member = await uow.memberships.get(cmd.workspace_id, cmd.user_id)
            user = await uow.users.get(cmd.user_id)
            if member is None or user is None:
                raise NotFound("member not found")
            if not can_change_role(actor, member.role, cmd.role):
                raise Forbidden(f"a {actor.label} cannot make a {member.role.label} a {cmd.role.label}")
            demoting_owner = member.role is Role.OWNER and cmd.role is not Role.OWNER
            if demoting_owner and await uow.memberships.count_owners(cmd.workspace_id) <= 1:
                raise Conflict("the last owner cannot be demoted")
            member.role = cmd.role
            await uow.memberships.update(member)
            await uow.commit()
        await forget_roles(self._cache, cmd.workspace_id, [cmd.user_id])
        return MemberView(
            user_id=user.id, email=user.email, name=user.name, role=member.role, joined_at=member.created_at
        )
