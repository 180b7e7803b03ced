from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from application.workspace.create_workspace import CreateWorkspace, CreateWorkspaceCommand
from application.workspace.delete_workspace import DeleteWorkspace, DeleteWorkspaceCommand
from application.workspace.get_workspace import GetWorkspace, GetWorkspaceQuery
from application.workspace.list_workspaces import ListWorkspaces, ListWorkspacesQuery
from application.workspace.rename_workspace import RenameWorkspace, RenameWorkspaceCommand
from domain.kernel.pagination import MAX_LIMIT, PageRequest
from domain.workspaces.workspace import WorkspaceView
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject

Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description="page size (default 50)")]
CursorParam = Annotated[str | None, Parameter(max_length=512, description="`meta.nextCursor` of the previous page")]


class WorkspaceNameRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    name: str


class WorkspaceOut(msgspec.Struct, rename="camel"):
    id: UUID
    name: str
    role: str
    created_at: datetime


def workspace_out(view: WorkspaceView) -> WorkspaceOut:
    return WorkspaceOut(id=view.id, name=view.name, role=view.role.label, created_at=view.created_at)


class WorkspaceController(Controller):
    path = "/workspaces"
    tags = ["workspaces"]
    dependencies = AUTHENTICATED
    security = BEARER

    @post("/", status_code=201, summary="Create a workspace; you become its owner")
    @inject
    async def create(
        self, principal: Principal, data: WorkspaceNameRequest, uc: FromDishka[CreateWorkspace]
    ) -> Envelope[WorkspaceOut]:
        return ok(workspace_out(await uc(CreateWorkspaceCommand(actor_id=principal.user_id, name=data.name))))

    @get("/", summary="The workspaces you belong to, with your role")
    @inject
    async def list_mine(
        self, principal: Principal, uc: FromDishka[ListWorkspaces], limit: Limit = None, cursor: CursorParam = None
    ) -> PageEnvelope[WorkspaceOut]:
        page = await uc(
            ListWorkspacesQuery(actor_id=principal.user_id, page=PageRequest.of(limit=limit, cursor=cursor))
        )
        return ok_page(page, [workspace_out(v) for v in page.items])

    @get("/{workspace_id:uuid}", summary="One workspace")
    @inject
    async def get_one(
        self, principal: Principal, workspace_id: UUID, uc: FromDishka[GetWorkspace]
    ) -> Envelope[WorkspaceOut]:
        return ok(workspace_out(await uc(GetWorkspaceQuery(actor_id=principal.user_id, workspace_id=workspace_id))))

    @patch("/{workspace_id:uuid}", summary="Rename a workspace (admin+)")
    @inject
    async def rename(
        self, principal: Principal, workspace_id: UUID, data: WorkspaceNameRequest, uc: FromDishka[RenameWorkspace]
    ) -> Envelope[WorkspaceOut]:
        cmd = RenameWorkspaceCommand(actor_id=principal.user_id, workspace_id=workspace_id, name=data.name)
        return ok(workspace_out(await uc(cmd)))

    @delete("/{workspace_id:uuid}", status_code=204, summary="Delete a workspace and everything in it (owner)")
    @inject
    async def remove(self, principal: Principal, workspace_id: UUID, uc: FromDishka[DeleteWorkspace]) -> None:
        await uc(DeleteWorkspaceCommand(actor_id=principal.user_id, workspace_id=workspace_id))
