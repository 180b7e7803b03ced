from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.caching import forget_roles
from domain.kernel.errors import Conflict, Forbidden, NotFound
from domain.kernel.permissions import Action, Role, can_manage_member
from ports.cache import Cache
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class RemoveMemberCommand:
    actor_id: UUID
    workspace_id: UUID
    user_id: UUID


class RemoveMember:
    """Remove a member, or leave a workspace.

    Rules: anyone may leave; admins remove members below admin; owners remove
    anyone; the last owner can never be removed (`Conflict`). A removed member loses access
    from the next request on.
    """

    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self._uow = uow
        self._cache = cache

    async def __call__(self, cmd: RemoveMemberCommand) -> None:
        leaving = cmd.actor_id == cmd.user_id
        action = Action.WORKSPACE_READ if leaving else Action.MEMBERS_MANAGE
        async with self._uow as uow:
            actor = await authorize_in(uow, cmd.workspace_id, cmd.actor_id, action, team_change=True)
            member = await uow.memberships.get(cmd.workspace_id, cmd.user_id)
            if member is None:
                raise NotFound("member not found")
            if not leaving and not can_manage_member(actor, member.role):
                raise Forbidden(f"a {actor.label} cannot remove a {member.role.label}")
            if member.role is Role.OWNER and await uow.memberships.count_owners(cmd.workspace_id) <= 1:
                raise Conflict("the last owner cannot be removed")
            await uow.memberships.remove(cmd.workspace_id, cmd.user_id)
            await uow.commit()
        await forget_roles(self._cache, cmd.workspace_id, [cmd.user_id])
