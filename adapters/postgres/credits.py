"""The ledger on PostgreSQL: the account row lock serializes a workspace's mutations.

A posting is three round trips. First, pipelined in one: BEGIN, lock the
account, and read what the request refers to (an earlier entry under its
idempotency key, its reservation, what is left to refund of its charge).
That read is its own statement after the lock: a statement that waits for a
row lock still sees other tables as they were when it started, and would
miss an entry a concurrent replay committed meanwhile. Then one statement
writes account + entry (+ reservation), and the unit of work commits. The
rules themselves are `domain.credits.ledger.apply`.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pagination import LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.credits.ledger import (
    CreditAccount,
    CreditRequest,
    EntryKind,
    LedgerEntry,
    Posting,
    Reservation,
    apply,
    replay,
)
from domain.kernel.errors import NotFound
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of

OPEN_ACCOUNT = "INSERT INTO credit_accounts (workspace_id) VALUES (%(ws)s) ON CONFLICT DO NOTHING"

LOCK_ACCOUNT = "SELECT balance, reserved FROM credit_accounts WHERE workspace_id = %(ws)s FOR UPDATE"

SELECT_CONTEXT = """
SELECT l.id, l.workspace_id, l.kind, l.amount, l.balance_after, l.reserved_after, l.idempotency_key,
       l.fingerprint, l.reason, l.actor_id, l.reservation_id, l.reference_id, l.created_at,
       r.id, r.workspace_id, r.amount, r.remaining, r.created_at, r.closed_at,
       c.amount - coalesce(
           (SELECT sum(x.amount) FROM credit_ledger x WHERE x.kind = 'refund' AND x.reference_id = c.id), 0)
FROM (VALUES (1)) AS request (one)
LEFT JOIN credit_ledger l ON l.workspace_id = %(ws)s AND l.idempotency_key = %(key)s
LEFT JOIN credit_reservations r ON r.id = %(reservation_id)s::uuid
LEFT JOIN credit_ledger c ON c.id = %(reference_id)s::uuid AND c.workspace_id = %(ws)s AND c.kind = 'charge'
"""

# A posting's write in one statement: the account, the entry and (WITH_RESERVATION) the reservation.
WRITE_POSTING = """
WITH account AS (
    UPDATE credit_accounts SET balance = %(balance)s, reserved = %(reserved)s WHERE workspace_id = %(ws)s
)
INSERT INTO credit_ledger
    (id, workspace_id, kind, amount, balance_after, reserved_after, idempotency_key, fingerprint, reason,
     actor_id, reservation_id, reference_id, created_at)
VALUES (%(id)s, %(ws)s, %(kind)s, %(amount)s, %(balance_after)s, %(reserved_after)s, %(key)s, %(fingerprint)s,
        %(reason)s, %(actor_id)s, %(reservation_id)s, %(reference_id)s, %(created_at)s)
"""

WRITE_POSTING_WITH_RESERVATION = """
WITH account AS (
    UPDATE credit_accounts SET balance = %(balance)s, reserved = %(reserved)s WHERE workspace_id = %(ws)s
), reservation AS (
    INSERT INTO credit_reservations (id, workspace_id, amount, remaining, created_at, closed_at)
    VALUES (%(r_id)s, %(ws)s, %(r_amount)s, %(r_remaining)s, %(r_created_at)s, %(r_closed_at)s)
    ON CONFLICT (id) DO UPDATE SET remaining = EXCLUDED.remaining, closed_at = EXCLUDED.closed_at
)
INSERT INTO credit_ledger
    (id, workspace_id, kind, amount, balance_after, reserved_after, idempotency_key, fingerprint, reason,
     actor_id, reservation_id, reference_id, created_at)
VALUES (%(id)s, %(ws)s, %(kind)s, %(amount)s, %(balance_after)s, %(reserved_after)s, %(key)s, %(fingerprint)s,
        %(reason)s, %(actor_id)s, %(reservation_id)s, %(reference_id)s, %(created_at)s)
"""


def entry_from_row(row: tuple[Any, ...]) -> LedgerEntry:
    (id_, ws, kind, amount, balance_after, reserved_after, key, fingerprint, reason,
     actor_id, reservation_id, reference_id, created_at) = row  # fmt: skip
    return LedgerEntry(
        id=id_,
        workspace_id=ws,
        kind=EntryKind(kind),
        amount=amount,
        balance_after=balance_after,
        reserved_after=reserved_after,
        idempotency_key=key,
        fingerprint=fingerprint,
        reason=reason,
        actor_id=actor_id,
        reservation_id=reservation_id,
        reference_id=reference_id,
        created_at=created_at,
    )


def reservation_from_row(row: tuple[Any, ...]) -> Reservation:
    id_, ws, amount, remaining, created_at, closed_at = row
    return Reservation(
        id=id_, workspace_id=ws, amount=amount, remaining=remaining, created_at=created_at, closed_at=closed_at
    )


def posting_params(posting: Posting) -> dict[str, Any]:
    entry = posting.entry
    params: dict[str, Any] = {
        "ws": entry.workspace_id,
        "balance": posting.account.balance,
        "reserved": posting.account.reserved,
        "id": entry.id,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "reserved_after": entry.reserved_after,
        "key": entry.idempotency_key,
        "fingerprint": entry.fingerprint,
        "reason": entry.reason,
        "actor_id": entry.actor_id,
        "reservation_id": entry.reservation_id,
        "reference_id": entry.reference_id,
        "created_at": entry.created_at,
    }
    if (reservation := posting.reservation) is not None:
        params |= {
            "r_id": reservation.id,
            "r_amount": reservation.amount,
            "r_remaining": reservation.remaining,
            "r_created_at": reservation.created_at,
            "r_closed_at": reservation.closed_at,
        }
    return params


class PostgresCreditLedger:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def open_account(self, workspace_id: UUID) -> None:
        await self._conn.execute(OPEN_ACCOUNT, {"ws": workspace_id})

    async def post(self, request: CreditRequest, *, entry_id: UUID, at: datetime) -> LedgerEntry:
        request.validate()
        ws = request.workspace_id
        params = {
            "ws": ws,
            "key": request.idempotency_key,
            "reservation_id": request.reservation_id,
            "reference_id": request.reference_id,
        }
        async with self._conn.pipeline():
            lock = await self._conn.execute(LOCK_ACCOUNT, {"ws": ws})
            read = await self._conn.execute(SELECT_CONTEXT, params)
        locked, context = await lock.fetchone(), await read.fetchone()
        if locked is None:
            raise NotFound("workspace not found")
        assert context is not None, "the context query always returns one row"
        if context[0] is not None:
            return replay(entry_from_row(context[:13]), request)
        reservation = reservation_from_row(context[13:19]) if context[13] is not None else None
        if reservation and reservation.workspace_id != ws and request.kind is not EntryKind.RESERVE:
            reservation = None  # another workspace's reservation does not exist here
        posting = apply(
            CreditAccount(workspace_id=ws, balance=locked[0], reserved=locked[1]),
            request,
            entry_id=entry_id,
            at=at,
            reservation=reservation,
            refundable=None if context[19] is None else int(context[19]),
        )
        sql = WRITE_POSTING if posting.reservation is None else WRITE_POSTING_WITH_RESERVATION
        await self._conn.execute(sql, posting_params(posting))
        return posting.entry

    async def post_many(
        self, requests: list[CreditRequest], *, entry_ids: list[UUID], at: datetime
    ) -> list[LedgerEntry]:
        """Charges of one workspace (a job's group of records): one lock, every context read in one
        pipeline, the rules applied in order here, every write in one pipeline. Anything else is
        posted one by one."""
        workspaces = {r.workspace_id for r in requests}
        if len(workspaces) != 1 or any(r.kind is not EntryKind.CHARGE or r.reference_id for r in requests):
            return [await self.post(r, entry_id=i, at=at) for r, i in zip(requests, entry_ids, strict=True)]
        for request in requests:
            request.validate()
        (ws,) = workspaces
        async with self._conn.pipeline():
            lock = await self._conn.execute(LOCK_ACCOUNT, {"ws": ws})
            reads = [
                await self._conn.execute(
                    SELECT_CONTEXT,
                    {"ws": ws, "key": r.idempotency_key, "reservation_id": r.reservation_id, "reference_id": None},
                )
                for r in requests
            ]
        locked = await lock.fetchone()
        if locked is None:
            raise NotFound("workspace not found")
        account = CreditAccount(workspace_id=ws, balance=locked[0], reserved=locked[1])
        reservations: dict[UUID, Reservation] = {}
        posted: dict[str, LedgerEntry] = {}
        entries, writes = [], []
        for request, entry_id, read in zip(requests, entry_ids, reads, strict=True):
            context = await read.fetchone()
            assert context is not None, "the context query always returns one row"
            first = entry_from_row(context[:13]) if context[0] is not None else posted.get(request.idempotency_key)
            if first is not None:
                entries.append(replay(first, request))
                continue
            reservation = None
            if request.reservation_id is not None:
                reservation = reservations.get(request.reservation_id)
                if reservation is None and context[13] is not None:
                    reservation = reservation_from_row(context[13:19])
                if reservation is not None and reservation.workspace_id != ws:
                    reservation = None  # another workspace's reservation does not exist here
            posting = apply(account, request, entry_id=entry_id, at=at, reservation=reservation)
            account = posting.account
            if posting.reservation is not None:
                reservations[posting.reservation.id] = posting.reservation
            posted[request.idempotency_key] = posting.entry
            entries.append(posting.entry)
            writes.append(posting)
        async with self._conn.cursor() as cursor:
            # In order (each write sets the account to its posting's balance), one statement per run of a kind.
            for with_reservation, run in groupby(writes, key=lambda p: p.reservation is not None):
                sql = WRITE_POSTING_WITH_RESERVATION if with_reservation else WRITE_POSTING
                await cursor.executemany(sql, [posting_params(p) for p in run])
        return entries


SELECT_ACCOUNT = "SELECT balance, reserved FROM credit_accounts WHERE workspace_id = %(ws)s"

LIST_ENTRIES = """
SELECT id, workspace_id, kind, amount, balance_after, reserved_after, idempotency_key, fingerprint, reason,
       actor_id, reservation_id, reference_id, created_at
FROM credit_ledger
WHERE workspace_id = %(ws)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""

LIST_ENTRIES_OF_KIND = """
SELECT id, workspace_id, kind, amount, balance_after, reserved_after, idempotency_key, fingerprint, reason,
       actor_id, reservation_id, reference_id, created_at
FROM credit_ledger
WHERE workspace_id = %(ws)s AND kind = %(kind)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""

SELECT_RESERVATION = """
SELECT id, workspace_id, amount, remaining, created_at, closed_at
FROM credit_reservations WHERE workspace_id = %(ws)s AND id = %(id)s
"""

LIST_OPEN_RESERVATIONS = """
SELECT id, workspace_id, amount, remaining, created_at, closed_at
FROM credit_reservations
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


# This context's repositories in a unit of work (`CreditRepositories` in ports/credits.py).
REPOSITORIES: Repositories = {
    "credits": PostgresCreditLedger,
}
