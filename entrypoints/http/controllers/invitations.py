from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, post

from application.team.accept_invitation import AcceptInvitation, AcceptInvitationCommand
from application.team.create_invitation import CreateInvitation, CreateInvitationCommand
from application.team.list_invitations import ListInvitations, ListInvitationsQuery
from application.team.revoke_invitation import RevokeInvitation, RevokeInvitationCommand
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit, WorkspaceOut, workspace_out
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject
from ports.system import Clock

RoleName = Literal["viewer", "member", "admin", "owner"]


class RoleRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    role: RoleName


class InvitationRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    email: str
    role: RoleName


class AcceptInvitationRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """The token travels in the body, never in the path: paths end up in logs, proxies and browser history."""

    token: str


class InvitationOut(msgspec.Struct, rename="camel"):
    id: UUID
    email: str
    role: str
    status: str
    invited_by: UUID
    created_at: datetime
    expires_at: datetime


class IssuedInvitationOut(msgspec.Struct, rename="camel"):
    id: UUID
    email: str
    role: str
    expires_at: datetime
    token: str


def invitation_out(invitation: Invitation, clock: Clock) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role.label,
        status=invitation.status(clock.now()).value,
        invited_by=invitation.invited_by,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


class InvitationController(Controller):
    path = "/workspaces/{workspace_id:uuid}/invitations"
    tags = ["team"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post("/", status_code=201, summary="Invite someone by email (admin+); the token is shown once")
    @inject
    async def invite(
        self, principal: Principal, workspace_id: UUID, data: InvitationRequest, uc: FromDishka[CreateInvitation]
    ) -> Envelope[IssuedInvitationOut]:
        cmd = CreateInvitationCommand(
            actor_id=principal.user_id, workspace_id=workspace_id, email=data.email, role=Role.parse(data.role)
        )
        issued = await uc(cmd)
        invitation = issued.invitation
        return ok(
            IssuedInvitationOut(
                id=invitation.id,
                email=invitation.email,
                role=invitation.role.label,
                expires_at=invitation.expires_at,
                token=issued.token,
            )
        )

    @get("/", summary="Invitations, newest first (admin+)")
    @inject
    async def invitations(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListInvitations],
        clock: FromDishka[Clock],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[InvitationOut]:
        query = ListInvitationsQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
        )
        page = await uc(query)
        return ok_page(page, [invitation_out(i, clock) for i in page.items])

    @delete("/{invitation_id:uuid}", status_code=204, summary="Revoke an invitation (admin+)")
    @inject
    async def revoke(
        self, principal: Principal, workspace_id: UUID, invitation_id: UUID, uc: FromDishka[RevokeInvitation]
    ) -> None:
        cmd = RevokeInvitationCommand(
            actor_id=principal.user_id, workspace_id=workspace_id, invitation_id=invitation_id
        )
        await uc(cmd)


class InvitationAcceptController(Controller):
    path = "/invitations"
    tags = ["team"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post("/accept", status_code=200, summary="Accept an invitation sent to your email, with its token")
    @inject
    async def accept(
        self, principal: Principal, data: AcceptInvitationRequest, uc: FromDishka[AcceptInvitation]
    ) -> Envelope[WorkspaceOut]:
        return ok(workspace_out(await uc(AcceptInvitationCommand(actor_id=principal.user_id, token=data.token))))
