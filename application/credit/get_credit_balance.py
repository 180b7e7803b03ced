from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.credits.ledger import CreditAccount
from domain.kernel.permissions import Action
from ports.credits import CreditReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetCreditBalanceQuery:
    actor_id: UUID
    workspace_id: UUID


class GetCreditBalance:
    """Balance, reserved and available credits; any member may read them."""

    def __init__(self, workspaces: WorkspaceReader, credits: CreditReader) -> None:
        self._workspaces = workspaces
        self._credits = credits

    async def __call__(self, query: GetCreditBalanceQuery) -> CreditAccount:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.CREDITS_READ)
        return await self._credits.account(query.workspace_id)
