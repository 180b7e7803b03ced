"""P2: credit charges per second, 32 clients on one workspace, use case vs raw SQL.

    make bench        (or: python -m tests.services -- python -m tests.bench.ledger)

Both variants run in this process against the same PostgreSQL, alternating,
for the same wall time. The raw variant issues the very statements the
Postgres ledger issues (BEGIN + lock the account + read the request's
context pipelined, write account + entry, COMMIT) with plain psycopg connections; the use-case variant goes through
`ChargeCredits`, the unit of work and the pool. Prints one JSON line per result.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from uuid import UUID, uuid4

import psycopg

from adapters.postgres.credits import LOCK_ACCOUNT, SELECT_CONTEXT, WRITE_POSTING, PostgresCreditReader
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.credit.charge_credits import ChargeCredits, ChargeCreditsCommand
from domain.credits.ledger import BALANCE_SIGN, CreditRequest, EntryKind
from tests.conftest import MIGRATIONS, create_database
from tests.support.builders.accounts import all_entries, funded_workspace

CLIENTS = 32
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


async def raw_charge(conn: psycopg.AsyncConnection[tuple[object, ...]], workspace_id: UUID, key: str) -> None:
    async with conn.transaction():
        params = {"ws": workspace_id, "key": key, "reservation_id": None, "reference_id": None}
        async with conn.pipeline():
            lock = await conn.execute(LOCK_ACCOUNT, {"ws": workspace_id})
            read = await conn.execute(SELECT_CONTEXT, params)
        row, context = await lock.fetchone(), await read.fetchone()
        assert row is not None
        assert context is not None
        assert context[0] is None, "fresh keys only"
        balance, reserved = int(row[0]) - 1, int(row[1])  # type: ignore[call-overload]
        fingerprint = CreditRequest(
            workspace_id=workspace_id, kind=EntryKind.CHARGE, amount=1, idempotency_key=key
        ).fingerprint
        await conn.execute(
            WRITE_POSTING,
            {
                "ws": workspace_id, "balance": balance, "reserved": reserved, "id": uuid4(), "kind": "charge",
                "amount": 1, "balance_after": balance, "reserved_after": reserved, "key": key,
                "fingerprint": fingerprint, "reason": "", "actor_id": None, "reservation_id": None,
                "reference_id": None, "created_at": SystemClock().now(),
            },
        )  # fmt: skip


async def drive(clients: list[Callable[[str], Awaitable[None]]], label: str) -> float:
    """Run every client in a loop for SECONDS; return charges per second."""
    deadline = time.perf_counter() + SECONDS
    counts = [0] * len(clients)

    async def loop(index: int) -> None:
        while time.perf_counter() < deadline:
            await clients[index](f"{label}-{index}-{counts[index]}")
            counts[index] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(len(clients))))
    return sum(counts) / (time.perf_counter() - started)


async def main() -> None:
    url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench")
    await migrate(url, MIGRATIONS)
    pool = await open_pool(url, min_size=CLIENTS, max_size=CLIENTS, acquire_timeout=30)
    workspace = await funded_workspace(PostgresUnitOfWork(pool), 10**9)

    raw_connections = [await psycopg.AsyncConnection.connect(url) for _ in range(CLIENTS)]
    raw_clients = [lambda key, c=c: raw_charge(c, workspace.id, key) for c in raw_connections]
    clock, ids = SystemClock(), Uuid7Generator()

    async def use_case_charge(key: str) -> None:
        await ChargeCredits(PostgresUnitOfWork(pool), clock, ids)(
            ChargeCreditsCommand(workspace_id=workspace.id, amount=1, idempotency_key=key)
        )

    raw_rates, use_case_rates = [], []
    for round_ in range(ROUNDS):
        raw_rates.append(await drive(raw_clients, f"raw{round_}"))
        use_case_rates.append(await drive([use_case_charge] * CLIENTS, f"uc{round_}"))
    raw, use_case = statistics.median(raw_rates), statistics.median(use_case_rates)

    reader = PostgresCreditReader(pool)
    account = await reader.account(workspace.id)
    entries = await all_entries(reader, workspace.id)
    violations = int(sum(BALANCE_SIGN[e.kind] * e.amount for e in entries) != account.balance)
    violations += int(account.available < 0) + sum(1 for e in entries if e.balance_after < 0)

    read_maintained, read_derived = await balance_read_costs(raw_connections[0], workspace.id)
    for conn in raw_connections:
        await conn.close()
    await pool.close()
    results = [
        {"benchmark": "P2", "variant": "raw_sql", "clients": CLIENTS, "charges_per_s": round(raw, 1)},
        {"benchmark": "P2", "variant": "use_case", "clients": CLIENTS, "charges_per_s": round(use_case, 1)},
        {"benchmark": "P2", "ratio_use_case_to_raw": round(use_case / raw, 3), "goal": 0.5,
         "ledger_entries": len(entries), "invariant_violations": violations},
        {"benchmark": "P2-balance-read", "ledger_entries": len(entries),
         "maintained_row_ms": round(read_maintained, 3), "derived_sum_ms": round(read_derived, 3)},
    ]  # fmt: skip
    for result in results:
        print(json.dumps(result), flush=True)
    if violations:
        raise SystemExit("invariant violations")


async def balance_read_costs(
    conn: psycopg.AsyncConnection[tuple[object, ...]], workspace_id: UUID
) -> tuple[float, float]:
    """Milliseconds per balance read: the maintained row vs summing the ledger."""
    maintained = "SELECT balance - reserved FROM credit_accounts WHERE workspace_id = %(ws)s"
    derived = """
    SELECT coalesce(sum(CASE WHEN kind IN ('grant', 'purchase', 'refund') THEN amount
                             WHEN kind IN ('charge', 'expire') THEN -amount ELSE 0 END), 0)
    FROM credit_ledger WHERE workspace_id = %(ws)s
    """
    timings = []
    for sql in (maintained, derived):
        started = time.perf_counter()
        for _ in range(20):
            await (await conn.execute(sql, {"ws": workspace_id})).fetchone()
        timings.append((time.perf_counter() - started) / 20 * 1000)
    return timings[0], timings[1]


if __name__ == "__main__":
    asyncio.run(main())
