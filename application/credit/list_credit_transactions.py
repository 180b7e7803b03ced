from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.credits.ledger import EntryKind, LedgerEntry
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from ports.credits import CreditReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListCreditTransactionsQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest
    kind: EntryKind | None = None


class ListCreditTransactions:
    """The ledger, newest first, optionally of one kind; any member may read it."""

    def __init__(self, workspaces: WorkspaceReader, credits: CreditReader) -> None:
        self._workspaces = workspaces
        self._credits = credits

    async def __call__(self, query: ListCreditTransactionsQuery) -> Page[LedgerEntry]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.CREDITS_READ)
        return await self._credits.entries(query.workspace_id, query.page, query.kind)
