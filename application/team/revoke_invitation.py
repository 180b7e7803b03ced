from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.kernel.errors import Forbidden, NotFound
from domain.kernel.permissions import Action, can_grant
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class RevokeInvitationCommand:
    actor_id: UUID
    workspace_id: UUID
    invitation_id: UUID


class RevokeInvitation:
    """Withdraw an invitation. Rules: admin or owner, for roles they may grant;
    an accepted invitation cannot be revoked (`Conflict`); revoking twice is fine."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: RevokeInvitationCommand) -> None:
        async with self._uow as uow:
            actor = await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.INVITATIONS_MANAGE, team_change=True)
            invitation = await uow.invitations.get(cmd.workspace_id, cmd.invitation_id)
            if invitation is None:
                raise NotFound("invitation not found")
            if not can_grant(actor, invitation.role):
                raise Forbidden(f"a {actor.label} cannot revoke an invitation for a {invitation.role.label}")
            invitation.revoke(self._clock.now())
            await uow.invitations.save(invitation)
            await uow.commit()
