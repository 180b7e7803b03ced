"""P5: the initial reindex of N records (BENCH_SEARCH_DOCS, default 100,000), against the engine's own bulk rate.

    make bench   (or: python -m tests.services -- python -m tests.bench.search_reindex)

N generated people and companies are stored in PostgreSQL, then rebuilt into the OpenSearch-API engine of
`tests.services` by the reindex itself (`RunReindex`: records read from PostgreSQL by id, documents made,
bulk-written into a new index, the outbox caught up, the alias swapped), and into PostgreSQL's own index (in
place). The baseline, in the same run: the same documents, made beforehand, bulk-written straight into a
fresh index of the engine by the bare client, in batches of the same size. Prints one JSON line per index:
documents/s of the reindex, of the bare bulk, and their ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any
from uuid import UUID

import msgspec
from litestar.testing import AsyncTestClient
from opensearchpy import AsyncOpenSearch

from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.records import PostgresRecordReader
from adapters.postgres.replication import PostgresReplicationReader
from adapters.postgres.search import PostgresSearchIndex
from adapters.postgres.search_rebuild import PostgresReindexes, PostgresSearchSource
from adapters.system.clock import SystemClock
from application.search.reindex_search import ReindexTuning, RunReindex
from domain.search.reindex import Reindex, ReindexStatus
from domain.search.search import SearchDocument, document_of
from entrypoints.http.app import create_app
from ports.search import SearchIndexBuilds
from tests.api import create_workspace, register
from tests.bench.search_latency import DOCS, app_settings, documents
from tests.conftest import MIGRATIONS, create_database

BATCH = int(os.environ.get("BENCH_REINDEX_BATCH", "1000"))


async def store_records(url: str, workspace: UUID) -> None:
    """DOCS records, as the search bench's documents describe them, copied into PostgreSQL at once."""
    pool = await open_pool(url, min_size=1, max_size=1, acquire_timeout=30)
    async with pool.connection() as conn, conn.cursor() as cursor:
        columns = "id, workspace_id, kind, inputs, status, created_at, updated_at, domain, version"
        async with cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
            for d in documents(workspace, DOCS):
                inputs = (
                    {"companyName": d.company, "domain": d.domain}
                    if d.kind == "company"
                    else {"fullName": d.name, "email": d.email, "companyName": d.company, "title": d.title}
                )
                await copy.write_row((d.record_id, workspace, d.kind, msgspec.json.encode(inputs).decode(),
                                      d.status, d.created_at, d.updated_at, d.domain or None, 1))  # fmt: skip
    await pool.close()


async def reindex(url: str, builds: SearchIndexBuilds) -> tuple[Reindex, float]:
    pool = await open_pool(url, min_size=1, max_size=4, acquire_timeout=30)
    source, reindexes = PostgresSearchSource(pool), PostgresReindexes(pool)
    run = RunReindex(builds, source, reindexes, PostgresReplicationReader(pool), PostgresRecordReader(pool),
                     SystemClock(), ReindexTuning(batch=BATCH))  # fmt: skip
    begun = Reindex.begin(uuid.uuid4(), await source.count(), SystemClock().now(), None)
    await reindexes.begin(begun)
    started = time.perf_counter()
    done = await run(begun)
    spent = time.perf_counter() - started
    await pool.close()
    assert done.status is ReindexStatus.SUCCEEDED, done
    return done, done.copied / spent


async def bare_bulk(client: AsyncOpenSearch, index: str, docs: list[SearchDocument]) -> float:
    """The engine's own rate: made documents, bulk-written in BATCH by the bare client."""
    await OpenSearchIndex(client, index).ensure()
    started = time.perf_counter()
    for i in range(0, len(docs), BATCH):
        await client.bulk(body=[line for d in docs[i : i + BATCH] for line in (
            {"index": {"_index": index, "_id": str(d.record_id), "version": d.version, "version_type": "external"}},
            {**d.stored(), "deleted": False},
        )])  # fmt: skip
    return len(docs) / (time.perf_counter() - started)


async def main() -> None:
    url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench_reindex")
    await migrate(url, MIGRATIONS)
    async with AsyncTestClient(app=create_app(app_settings(url))) as api:
        workspace = UUID(await create_workspace(api, await register(api, "bench-reindex")))
    await store_records(url, workspace)
    client = AsyncOpenSearch(hosts=[os.environ["TEST_OPENSEARCH_URL"]], timeout=120)
    alias = f"bench-{uuid.uuid4().hex[:8]}"
    opensearch = OpenSearchIndex(client, alias)
    await opensearch.ensure()
    done, rate = await reindex(url, opensearch)
    pool = await open_pool(url, min_size=1, max_size=1, acquire_timeout=30)
    made = [document_of(r, r.version) for r in await PostgresSearchSource(pool).records_after(None, DOCS)]
    bare = await bare_bulk(client, f"{alias}-bare", made)
    line: dict[str, Any] = {"benchmark": "P5 reindex", "index": "opensearch", "documents": done.copied,
                            "reindex_docs_per_s": round(rate, 1), "engine_bulk_docs_per_s": round(bare, 1),
                            "ratio": round(rate / bare, 3), "batch": BATCH}  # fmt: skip
    print(json.dumps(line), flush=True)
    done, rate = await reindex(url, PostgresSearchIndex(pool))
    print(json.dumps({"benchmark": "P5 reindex", "index": "postgres (in place)", "documents": done.copied,
                      "reindex_docs_per_s": round(rate, 1), "batch": BATCH}), flush=True)  # fmt: skip
    await pool.close()
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
