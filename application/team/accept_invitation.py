from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.caching import forget_roles
from domain.kernel.errors import Conflict, NotFound, Unauthorized
from domain.workspaces.workspace import Membership, WorkspaceView
from ports.cache import Cache
from ports.security import SecretTokens
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class AcceptInvitationCommand:
    actor_id: UUID
    token: str


class AcceptInvitation:
    """Join a workspace through an invitation token.

    Rules: the token is single use and expires; only the user whose email it
    was sent to may accept (`Forbidden`); someone already a member gets
    `Conflict`; unknown tokens are `NotFound`. The new member has access from the next request on.
    """

    def __init__(self, uow: UnitOfWork, tokens: SecretTokens, clock: Clock, cache: Cache) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock
        self._cache = cache

    async def __call__(self, cmd: AcceptInvitationCommand) -> WorkspaceView:
        now = self._clock.now()
        async with self._uow as uow:
            invitation = await uow.invitations.get_by_token_hash_for_update(self._tokens.hash_of(cmd.token))
            if invitation is None:
                raise NotFound("invitation not found")
            workspace = await uow.workspaces.lock(invitation.workspace_id)
            user = await uow.users.get(cmd.actor_id)
            if user is None:
                raise Unauthorized("user no longer exists")
            if workspace is None:
                raise NotFound("invitation not found")
            invitation.accept(user_id=user.id, email=user.email, now=now)
            if await uow.memberships.get(workspace.id, user.id):
                raise Conflict("you are already a member of this workspace")
            await uow.memberships.add(
                Membership(workspace_id=workspace.id, user_id=user.id, role=invitation.role, created_at=now)
            )
            await uow.invitations.save(invitation)
            await uow.commit()
        await forget_roles(self._cache, workspace.id, [user.id])  # "not a member" may be cached
        return WorkspaceView(
            id=workspace.id, name=workspace.name, role=invitation.role, created_at=workspace.created_at
        )
