from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.credits.ledger import CreditRequest, EntryKind
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership, Workspace, WorkspaceView, clean_workspace_name
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateWorkspaceCommand:
    actor_id: UUID
    name: str


@dataclass(slots=True, kw_only=True, frozen=True)
class CreditPolicy:
    starter_credits: int = 100


class CreateWorkspace:
    """Create a workspace: in one transaction its owner membership (the
    creator), its credit account and its starter credits."""

    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdGenerator, policy: CreditPolicy, metrics: Metrics = NO_METRICS
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._metrics = metrics

    async def __call__(self, cmd: CreateWorkspaceCommand) -> WorkspaceView:
        now = self._clock.now()
        workspace = Workspace(
            id=self._ids.new_id(), name=clean_workspace_name(cmd.name), created_by=cmd.actor_id, created_at=now
        )
        async with self._uow as uow:
            await uow.workspaces.add(workspace)
            await uow.memberships.add(
                Membership(workspace_id=workspace.id, user_id=cmd.actor_id, role=Role.OWNER, created_at=now)
            )
            await uow.credits.open_account(workspace.id)
            if self._policy.starter_credits:
                starter = CreditRequest(
                    workspace_id=workspace.id,
                    kind=EntryKind.GRANT,
                    amount=self._policy.starter_credits,
                    idempotency_key="starter",
                    reason="starter credits",
                    actor_id=cmd.actor_id,
                )
                await uow.credits.post(starter, entry_id=self._ids.new_id(), at=now)
            await uow.commit()
        if self._policy.starter_credits:
            self._metrics.credits_moved(EntryKind.GRANT, self._policy.starter_credits)
        return WorkspaceView(id=workspace.id, name=workspace.name, role=Role.OWNER, created_at=now)
