from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, patch

from application.team.change_member_role import ChangeMemberRole, ChangeMemberRoleCommand
from application.team.list_members import ListMembers, ListMembersQuery
from application.team.remove_member import RemoveMember, RemoveMemberCommand
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from domain.workspaces.workspace import MemberView
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject

RoleName = Literal["viewer", "member", "admin", "owner"]


class RoleRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    role: RoleName


class MemberOut(msgspec.Struct, rename="camel"):
    user_id: UUID
    email: str
    name: str
    role: str
    joined_at: datetime


def member_out(view: MemberView) -> MemberOut:
    return MemberOut(
        user_id=view.user_id, email=view.email, name=view.name, role=view.role.label, joined_at=view.joined_at
    )


class TeamController(Controller):
    path = "/workspaces/{workspace_id:uuid}"
    tags = ["team"]
    dependencies = AUTHENTICATED
    security = BEARER

    @get("/members", summary="Members and their roles")
    @inject
    async def members(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListMembers],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[MemberOut]:
        query = ListMembersQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
        )
        page = await uc(query)
        return ok_page(page, [member_out(m) for m in page.items])

    @patch("/members/{user_id:uuid}", summary="Change a member's role")
    @inject
    async def change_role(
        self,
        principal: Principal,
        workspace_id: UUID,
        user_id: UUID,
        data: RoleRequest,
        uc: FromDishka[ChangeMemberRole],
    ) -> Envelope[MemberOut]:
        cmd = ChangeMemberRoleCommand(
            actor_id=principal.user_id, workspace_id=workspace_id, user_id=user_id, role=Role.parse(data.role)
        )
        return ok(member_out(await uc(cmd)))

    @delete("/members/{user_id:uuid}", status_code=204, summary="Remove a member, or leave")
    @inject
    async def remove_member(
        self, principal: Principal, workspace_id: UUID, user_id: UUID, uc: FromDishka[RemoveMember]
    ) -> None:
        await uc(RemoveMemberCommand(actor_id=principal.user_id, workspace_id=workspace_id, user_id=user_id))
