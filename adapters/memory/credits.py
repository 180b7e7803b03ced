from __future__ import annotations

from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables
from domain.credits.ledger import (
    CreditAccount,
    CreditRequest,
    EntryKind,
    LedgerEntry,
    Reservation,
    apply,
    replay,
)
from domain.kernel.errors import NotFound
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of


def refundable(tables: Tables, workspace_id: UUID, charge_id: UUID | None) -> int | None:
    charge = tables.ledger.get(charge_id) if charge_id else None
    if charge is None or charge.workspace_id != workspace_id or charge.kind is not EntryKind.CHARGE:
        return None
    refunds = (e for e in tables.ledger.values() if e.kind is EntryKind.REFUND and e.reference_id == charge_id)
    refunded = sum(e.amount for e in refunds)
    return charge.amount - refunded


class MemoryCreditLedger:
    """Entities here are frozen, so the tables share them safely."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def open_account(self, workspace_id: UUID) -> None:
        self._t.credit_accounts.setdefault(workspace_id, CreditAccount(workspace_id=workspace_id))

    async def post(self, request: CreditRequest, *, entry_id: UUID, at: datetime) -> LedgerEntry:
        request.validate()
        account = self._t.credit_accounts.get(request.workspace_id)
        if account is None:
            raise NotFound("workspace not found")
        previous = self._t.ledger_keys.get((request.workspace_id, request.idempotency_key))
        if previous is not None:
            return replay(self._t.ledger[previous], request)
        reservation = self._t.reservations.get(request.reservation_id) if request.reservation_id else None
        if reservation and reservation.workspace_id != request.workspace_id and request.kind is not EntryKind.RESERVE:
            reservation = None  # another workspace's reservation does not exist here
        posting = apply(
            account,
            request,
            entry_id=entry_id,
            at=at,
            reservation=reservation,
            refundable=refundable(self._t, request.workspace_id, request.reference_id),
        )
        self._t.credit_accounts[request.workspace_id] = posting.account
        if posting.reservation is not None:
            self._t.reservations[posting.reservation.id] = posting.reservation
        self._t.ledger[entry_id] = posting.entry
        self._t.ledger_keys[(request.workspace_id, request.idempotency_key)] = entry_id
        return posting.entry

    async def post_many(
        self, requests: list[CreditRequest], *, entry_ids: list[UUID], at: datetime
    ) -> list[LedgerEntry]:
        return [await self.post(r, entry_id=i, at=at) for r, i in zip(requests, entry_ids, strict=True)]


class MemoryCreditReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def account(self, workspace_id: UUID) -> CreditAccount:
        return self._store.tables.credit_accounts.get(workspace_id) or CreditAccount(workspace_id=workspace_id)

    async def entries(self, workspace_id: UUID, page: PageRequest, kind: EntryKind | None = None) -> Page[LedgerEntry]:
        rows = [
            e
            for e in self._store.tables.ledger.values()
            if e.workspace_id == workspace_id and (kind is None or e.kind is kind)
        ]
        rows.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        if page.after:
            before = (page.after.created_at, page.after.id)
            rows = [e for e in rows if (e.created_at, e.id) < before]
        return page_of(rows[: page.limit + 1], page.limit, lambda e: Cursor(created_at=e.created_at, id=e.id))

    async def reservation(self, workspace_id: UUID, reservation_id: UUID) -> Reservation | None:
        reservation = self._store.tables.reservations.get(reservation_id)
        return reservation if reservation and reservation.workspace_id == workspace_id else None

    async def open_reservations(self, created_before: datetime, limit: int) -> list[Reservation]:
        found = [r for r in self._store.tables.reservations.values() if r.is_open and r.created_at < created_before]
        return sorted(found, key=lambda r: (r.created_at, r.id))[:limit]


# This context's repositories in a unit of work (`CreditRepositories` in ports/credits.py).
REPOSITORIES: Repositories = {
    "credits": MemoryCreditLedger,
}
