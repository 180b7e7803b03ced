"""Authorization shared by the use cases: of workspaces, and of the platform's admins.

Someone who is not a member learns nothing: the workspace is `NotFound`,
never `Forbidden` (tenant isolation). Members without the permission get
`Forbidden`.
"""

from __future__ import annotations

from uuid import UUID

from application.auth.get_current_user import GetCurrentUser
from domain.kernel.errors import Forbidden, NotFound
from domain.kernel.permissions import Action, Role, can
from ports.unit_of_work import UnitOfWork
from ports.workspaces import WorkspaceReader


def _check(role: Role | None, action: Action) -> Role:
    if role is None:
        raise NotFound("workspace not found")
    if not can(role, action):
        raise Forbidden(f"your role ({role.label}) may not {action.value}")
    return role


async def authorize(reader: WorkspaceReader, workspace_id: UUID, user_id: UUID, action: Action) -> Role:
    """For queries: check the actor's role outside any transaction."""
    return _check(await reader.role_of(workspace_id, user_id), action)


async def authorize_in(
    uow: UnitOfWork, workspace_id: UUID, user_id: UUID, action: Action, *, team_change: bool = False
) -> Role:
    """For commands: the actor's role holds until commit.

    `team_change` first locks the workspace itself, so membership and
    invitation changes of one workspace run one after another.
    """
    if team_change and await uow.workspaces.lock(workspace_id) is None:
        raise NotFound("workspace not found")
    membership = await uow.memberships.get_for_share(workspace_id, user_id)
    return _check(membership.role if membership else None, action)


async def authorize_platform_admin(current: GetCurrentUser, actor_id: UUID | None) -> None:
    """Platform admins only; `actor_id` None is the operator's own command line, which has the database
    already."""
    if actor_id is not None and not (await current(actor_id)).is_platform_admin:
        raise Forbidden("platform admins only")
