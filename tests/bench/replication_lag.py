"""P5: replication lag under a sustained write load, and nothing missing or stale at the end.

    make bench   (or: python -m tests.services -- python -m tests.bench.replication_lag)

Writers create and change records at a fixed rate (BENCH_CHANGES_PER_S, default 1,000 a second) for
BENCH_SECONDS (default 30), each change one transaction with its outbox event, as the record use cases
write them; meanwhile the replicator drains the outbox into the search index (PostgreSQL's, then the
OpenSearch-API engine's), in this process, as the API runs it without Temporal. The lag (the age of the
oldest event the sink has not applied) is sampled every 100 ms: p50, p99 and max (goal p99 <= 2 s). At the
end, once caught up, every record's version in the index is checked against PostgreSQL's.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from dataclasses import replace
from typing import Any

from opensearchpy import AsyncOpenSearch
from psycopg_pool import AsyncConnectionPool

from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.records import PostgresRecordReader
from adapters.postgres.replication import PostgresReplicationReader
from adapters.postgres.search import PostgresSearchIndex
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.record.changes import record_changed
from application.replication.drain_outbox import DrainOutbox
from application.replication.replicator import ReplicationTuning, Replicator
from application.search.search_sink import SearchSink
from domain.enrichment.schema import EntityKind
from domain.kernel.events import EventType
from domain.records.record import Record
from domain.replication.replication import RetryPolicy
from ports.replication import ReplicationSink
from ports.search import SearchIndex
from tests.conftest import MIGRATIONS, create_database
from tests.support.builders.accounts import funded_workspace

RATE = float(os.environ.get("BENCH_CHANGES_PER_S", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
WRITERS = int(os.environ.get("BENCH_WRITERS", "16"))


async def run(name: str, index: SearchIndex, url: str) -> dict[str, Any]:
    pool = await open_pool(url, min_size=WRITERS, max_size=WRITERS + 8, acquire_timeout=30)
    try:
        return await _run(name, index, pool)
    finally:
        await pool.close()


async def _run(name: str, index: SearchIndex, pool: AsyncConnectionPool) -> dict[str, Any]:
    clock, ids = SystemClock(), Uuid7Generator()
    workspace = (await funded_workspace(PostgresUnitOfWork(pool), 1)).id
    sink = SearchSink(index, PostgresRecordReader(pool), name=f"bench_{name}")
    tuning = ReplicationTuning(batch=500, poll_seconds=0.05)

    async def drain(s: ReplicationSink) -> int:
        return await DrainOutbox(PostgresUnitOfWork(pool), clock, RetryPolicy(), batch=tuning.batch)(s)

    replicator = Replicator([sink], drain, tuning)
    replicator.start_background()
    reader = PostgresReplicationReader(pool)
    rng = random.Random(11)
    made: list[Record] = []
    queue: asyncio.Queue[int] = asyncio.Queue()

    async def change(n: int) -> None:
        now = clock.now()
        async with PostgresUnitOfWork(pool) as uow:
            if not made or n % 2 == 0:  # half creations, half changes of a record made earlier
                record = Record(id=ids.new_id(), workspace_id=workspace, kind=EntityKind.PERSON,
                                inputs={"fullName": f"Person {n}", "email": f"p{n}@bench.example"},
                                created_at=now, updated_at=now)  # fmt: skip
                await uow.records.add(record)
                event = record_changed(ids, EventType.RECORD_CREATED, record, now)
            else:
                chosen = await uow.records.get_for_update(workspace, rng.choice(made).id)
                assert chosen is not None
                record = replace(chosen, inputs={**chosen.inputs, "fullName": f"Person {n} changed"}, updated_at=now)
                await uow.records.save(record)
                event = record_changed(ids, EventType.RECORD_UPDATED, record, now)
            await uow.events.add([event])
            await uow.commit()
        if n % 2 == 0:
            made.append(record)

    async def writer() -> None:
        while (n := await queue.get()) >= 0:
            await change(n)

    writers = [asyncio.create_task(writer()) for _ in range(WRITERS)]
    samples: list[float] = []
    started = time.perf_counter()
    total = int(RATE * SECONDS)
    next_sample = started
    for n in range(total):  # open loop: changes are due at a fixed rate, whatever the system does
        due = started + n / RATE
        while (now := time.perf_counter()) < due:
            if now >= next_sample:
                samples.append((await reader.status(sink.name, clock.now())).seconds_behind)
                next_sample += 0.1
            await asyncio.sleep(min(due - now, 0.01))
        queue.put_nowait(n)
    for _ in writers:
        queue.put_nowait(-1)
    await asyncio.gather(*writers)
    wrote = time.perf_counter() - started
    while (status := await reader.status(sink.name, clock.now())).behind > 0:
        samples.append(status.seconds_behind)
        await asyncio.sleep(0.1)
    caught_up = time.perf_counter() - started
    await replicator.stop()
    if isinstance(index, OpenSearchIndex):
        await index._client.indices.refresh(index=index.alias)
    expected = {r.id: r.version for r in await PostgresRecordReader(pool).get_many(workspace, [r.id for r in made])}
    indexed = await index.versions(workspace)
    missing = sum(1 for record_id in expected if record_id not in indexed)
    stale = sum(1 for record_id, version in expected.items() if indexed.get(record_id, version) != version)
    samples.sort()
    return {
        "benchmark": "P5 replication lag", "index": name, "changes_per_s_asked": RATE,
        "changes_per_s_written": round(total / wrote, 1), "seconds": SECONDS, "records": len(expected),
        "lag_p50_s": round(statistics.median(samples), 3), "lag_p99_s": round(samples[int(0.99 * len(samples))], 3),
        "lag_max_s": round(samples[-1], 3), "goal_p99_s": 2.0, "caught_up_after_s": round(caught_up - wrote, 2),
        "missing": missing, "stale": stale,
    }  # fmt: skip


async def main() -> None:
    url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench_replication")
    await migrate(url, MIGRATIONS)
    pool = await open_pool(url, min_size=1, max_size=4, acquire_timeout=30)
    client = AsyncOpenSearch(hosts=[os.environ["TEST_OPENSEARCH_URL"]], timeout=60)
    try:
        print(json.dumps(await run("postgres", PostgresSearchIndex(pool), url)), flush=True)
        index = OpenSearchIndex(client, f"bench-{uuid.uuid4().hex[:8]}")
        print(json.dumps(await run("opensearch", index, url)), flush=True)
    finally:
        await client.close()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
