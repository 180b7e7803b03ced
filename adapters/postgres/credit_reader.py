from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.credits import ENTRY_COLUMNS, RESERVATION_COLUMNS, entry_from_row, reservation_from_row
from adapters.postgres.pool import connection
from adapters.postgres.readers import LAST_CURSOR
from domain.credits.ledger import CreditAccount, EntryKind, LedgerEntry, Reservation
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of

SELECT_ACCOUNT = "SELECT balance, reserved FROM credit_accounts WHERE workspace_id = %(ws)s"
LIST_ENTRIES = f"""
SELECT {ENTRY_COLUMNS} FROM credit_ledger
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""
LIST_ENTRIES_OF_KIND = f"""
SELECT {ENTRY_COLUMNS} FROM credit_ledger
WHERE workspace_id = %(ws)s AND kind = %(kind)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""
SELECT_RESERVATION = f"""
SELECT {RESERVATION_COLUMNS} FROM credit_reservations WHERE workspace_id = %(ws)s AND id = %(id)s
"""
LIST_OPEN_RESERVATIONS = f"""
SELECT {RESERVATION_COLUMNS} FROM credit_reservations
WHERE closed_at IS NULL AND created_at < %(before)s
ORDER BY created_at, id
LIMIT %(limit)s
"""


class PostgresCreditReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def account(self, workspace_id: UUID) -> CreditAccount:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(SELECT_ACCOUNT, {"ws": workspace_id})).fetchone()
        if row is None:
            return CreditAccount(workspace_id=workspace_id)
        return CreditAccount(workspace_id=workspace_id, balance=row[0], reserved=row[1])

    async def entries(self, workspace_id: UUID, page: PageRequest, kind: EntryKind | None = None) -> Page[LedgerEntry]:
        before = page.after or LAST_CURSOR
        params = {
            "ws": workspace_id,
            "kind": kind.value if kind else None,
            "before_ts": before.created_at,
            "before_id": before.id,
            "limit": page.limit + 1,
        }
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_ENTRIES_OF_KIND if kind else LIST_ENTRIES, params)).fetchall()
        return page_of(
            [entry_from_row(r) for r in rows], page.limit, lambda e: Cursor(created_at=e.created_at, id=e.id)
        )

    async def reservation(self, workspace_id: UUID, reservation_id: UUID) -> Reservation | None:
        async with connection(self._pool) as conn:
            cursor = await conn.execute(SELECT_RESERVATION, {"ws": workspace_id, "id": reservation_id})
            row = await cursor.fetchone()
        return reservation_from_row(row) if row else None

    async def open_reservations(self, created_before: datetime, limit: int) -> list[Reservation]:
        async with connection(self._pool) as conn:
            cursor = await conn.execute(LIST_OPEN_RESERVATIONS, {"before": created_before, "limit": limit})
            rows = await cursor.fetchall()
        return [reservation_from_row(r) for r in rows]
