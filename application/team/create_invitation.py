from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.identity.users import normalize_email
from domain.kernel.errors import Conflict, Forbidden
from domain.kernel.permissions import Action, Role, can_grant
from domain.team.invitations import INVITATION_TTL, Invitation
from ports.security import SecretTokens
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateInvitationCommand:
    actor_id: UUID
    workspace_id: UUID
    email: str
    role: Role


@dataclass(slots=True, kw_only=True, frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


class CreateInvitation:
    """Invite an email address into the workspace with a role.

    Rules: admin or owner; nobody invites above what they may grant; an
    existing member or an open invitation for the same email is a `Conflict`
    (an expired one is revoked and replaced); the token is returned once and
    stored only as a hash; it expires after 7 days.
    """

    def __init__(self, uow: UnitOfWork, tokens: SecretTokens, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: CreateInvitationCommand) -> IssuedInvitation:
        email = normalize_email(cmd.email)
        now = self._clock.now()
        async with self._uow as uow:
            actor = await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.INVITATIONS_MANAGE, team_change=True)
            if not can_grant(actor, cmd.role):
                raise Forbidden(f"a {actor.label} cannot invite a {cmd.role.label}")
            invitee = await uow.users.get_by_email(email)
            if invitee and await uow.memberships.get(cmd.workspace_id, invitee.id):
                raise Conflict("that person is already a member")
            previous = await uow.invitations.get_open_for_email(cmd.workspace_id, email)
            if previous is not None:
                if now < previous.expires_at:
                    raise Conflict("an invitation for that email is already pending")
                previous.revoke(now)
                await uow.invitations.save(previous)
            secret = self._tokens.new()
            invitation = Invitation(
                id=self._ids.new_id(),
                workspace_id=cmd.workspace_id,
                email=email,
                role=cmd.role,
                token_hash=secret.hash,
                invited_by=cmd.actor_id,
                created_at=now,
                expires_at=now + INVITATION_TTL,
            )
            await uow.invitations.add(invitation)
            await uow.commit()
        return IssuedInvitation(invitation=invitation, token=secret.plaintext)
