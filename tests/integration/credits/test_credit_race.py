"""R1 under real concurrency: 32 tasks charging one workspace on PostgreSQL."""

from __future__ import annotations

import asyncio

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.credits import PostgresCreditReader
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.credit.charge_credits import ChargeCredits, ChargeCreditsCommand
from domain.credits.ledger import BALANCE_SIGN
from domain.kernel.errors import InsufficientCredits
from tests.support.builders.accounts import all_entries, funded_workspace

CLIENTS = 32
CHARGES_PER_CLIENT = 40
GRANTED = 1000  # less than the 1280 charges asked for: the ledger must say no 280 times


async def test_32_concurrent_clients_never_overdraw_or_double_charge(migrated_url: str, clean_pool: object) -> None:
    pool: AsyncConnectionPool = await open_pool(migrated_url, min_size=CLIENTS, max_size=CLIENTS, acquire_timeout=30)
    try:
        workspace = await funded_workspace(PostgresUnitOfWork(pool), GRANTED)

        def charge() -> ChargeCredits:
            return ChargeCredits(PostgresUnitOfWork(pool), SystemClock(), Uuid7Generator())

        async def client(number: int) -> tuple[int, int, int]:
            charged = refused = replayed = 0
            for attempt in range(CHARGES_PER_CLIENT):
                cmd = ChargeCreditsCommand(workspace_id=workspace.id, amount=1, idempotency_key=f"c{number}-{attempt}")
                try:
                    first = await charge()(cmd)
                except InsufficientCredits:
                    refused += 1
                    continue
                charged += 1
                again = await charge()(cmd)  # a retried request: must not charge twice
                assert again == first
                replayed += 1
            return charged, refused, replayed

        results = await asyncio.gather(*(client(n) for n in range(CLIENTS)))
        charged = sum(r[0] for r in results)
        refused = sum(r[1] for r in results)
        reader = PostgresCreditReader(pool)
        account = await reader.account(workspace.id)
        entries = await all_entries(reader, workspace.id)

        assert charged == GRANTED
        assert refused == CLIENTS * CHARGES_PER_CLIENT - GRANTED
        assert account.balance == 0
        assert account.available == 0
        assert sum(BALANCE_SIGN[e.kind] * e.amount for e in entries) == account.balance
        assert len(entries) == 1 + charged, "replays and refusals write nothing"
        assert all(e.balance_after >= 0 for e in entries)
    finally:
        await pool.close()
