"""P5: search latency through the API against the same queries sent straight to the engine, and indexing rate.

    make bench   (or: python -m tests.services -- python -m tests.bench.search_latency)

N generated people and companies (BENCH_SEARCH_DOCS, default 100,000) are written to the PostgreSQL index
and to the OpenSearch-API engine of `tests.services` through the adapters (documents/s, beside the engine's
own bulk rate for OpenSearch). Then a mix of search-as-you-type queries (prefixes, one typo, two words, with
and without facet filters) runs QUERIES times each: through `GET /api/v1/workspaces/{id}/search` (the API
in process, authenticated, with its edge, auth, tenant check and JSON), and straight to the engine (the
adapter's own SQL on a bare psycopg connection; the adapter's own request body through the bare client).
Prints one JSON line per backend and query class: p50 and p95 of each, and the ratio of p95s (goal <= 1.3),
with the p95 of the API itself (goal <= 50 ms for prefix and typo queries with facets).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from litestar.testing import AsyncTestClient
from opensearchpy import AsyncOpenSearch

from adapters.opensearch.search import OpenSearchIndex, _body
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.search import TYPO_SIMILARITY, PostgresSearchIndex, _params, search_statement
from domain.search.search import SearchDocument, SearchQuery, check_filters, read_terms
from entrypoints.http.app import create_app
from tests.api import create_workspace, register
from tests.conftest import MIGRATIONS, create_database, test_settings

DOCS = int(os.environ.get("BENCH_SEARCH_DOCS", "100000"))
QUERIES = int(os.environ.get("BENCH_SEARCH_QUERIES", "40"))
INDEXES = os.environ.get("BENCH_SEARCH_INDEXES", "postgres,opensearch").split(",")  # which to measure
BATCH = 1000
FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
         "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Jonathan", "Maya", "Lucas", "Emma", "Noah", "Olivia", "Liam", "Sophia", "Mateo", "Amelia", "Hugo",
         "Chloe", "Louis", "Lea", "Jules", "Manon", "Arthur", "Camille", "Raphael", "Ines"]  # fmt: skip
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
        "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Dubois",
        "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Fontaine", "Chevalier", "Muller", "Schmidt"]  # fmt: skip
COMPANY = ["Acme", "Globex", "Initech", "Umbrella", "Northwind", "Contoso", "Fabrikam", "Wayne", "Stark", "Tyrell",
           "Cyberdyne", "Hooli", "Pied Piper", "Vandelay", "Soylent", "Wonka", "Gringotts", "Oscorp", "Aperture",
           "Massive Dynamic"]  # fmt: skip
TITLES = ["CEO", "CTO", "VP Sales", "Head of Growth", "Software Engineer", "Product Manager", "Data Scientist",
          "Account Executive", "Marketing Director", "Designer"]  # fmt: skip
INDUSTRIES = ["Software", "Logistics", "Healthcare", "Retail", "Finance", "Energy"]
COUNTRIES = ["US", "FR", "DE", "GB", "ES", "IT", "NL", "CA"]
SENIORITY = ["c_suite", "vp", "director", "manager", "senior", "entry"]
TECH = ["react", "postgresql", "kubernetes", "salesforce", "hubspot", "stripe", "aws", "gcp"]
# (class, text, filters): what people type, a letter at a time, typos included
MIX: list[tuple[str, str, dict[str, list[str]]]] = [
    ("prefix", "jo", {}), ("prefix", "mart", {}), ("prefix", "acm", {}), ("prefix", "sm", {}),
    ("typo", "jonathon", {}), ("typo", "robinsn", {}), ("typo", "northwnd", {}), ("typo", "garcai", {}),
    ("two words", "maya sm", {}), ("two words", "jon initech", {}),
    ("prefix + facets", "ja", {"country": ["FR"]}), ("prefix + facets", "li", {"seniority": ["vp", "director"]}),
    ("typo + facets", "wiliams", {"kind": ["person"], "country": ["US", "GB"]}),
    ("typo + facets", "frederik", {"industry": ["Software"]}),
]  # fmt: skip


def documents(workspace: UUID, count: int) -> list[SearchDocument]:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for i in range(count):
        company = rng.choice(COMPANY)
        domain = company.lower().replace(" ", "") + rng.choice([".com", ".io", ".dev"])
        at = start + timedelta(seconds=i)
        if i % 10 == 0:  # a company
            made.append(SearchDocument(
                record_id=uuid.uuid4(), workspace_id=workspace, version=1, kind="company", status="enriched",
                name=f"{company} {rng.choice(INDUSTRIES)} {i}", email="", domain=domain, company=company, title="",
                industry=rng.choice(INDUSTRIES), country=rng.choice(COUNTRIES), seniority="",
                technologies=tuple(sorted(rng.sample(TECH, 3))), created_at=at, updated_at=at,
            ))  # fmt: skip
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        made.append(SearchDocument(
            record_id=uuid.uuid4(), workspace_id=workspace, version=1, kind="person",
            status=rng.choice(["new", "enriched", "partial"]), name=f"{first} {last}",
            email=f"{first}.{last}{i}@{domain}".lower(), domain=domain, company=company, title=rng.choice(TITLES),
            industry="", country=rng.choice(COUNTRIES), seniority=rng.choice(SENIORITY), technologies=(),
            created_at=at, updated_at=at,
        ))  # fmt: skip
    return made


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    await call()  # warm
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


async def write_all(write: Callable[[list[SearchDocument]], Awaitable[object]], docs: list[SearchDocument]) -> float:
    started = time.perf_counter()
    for i in range(0, len(docs), BATCH):
        await write(docs[i : i + BATCH])
    return len(docs) / (time.perf_counter() - started)


async def compare(name: str, api: Any, headers: dict[str, str], workspace: UUID,
                  engine: Callable[[SearchQuery], Awaitable[object]]) -> list[dict[str, Any]]:  # fmt: skip
    by_class: dict[str, tuple[list[float], list[float]]] = {}
    for label, text, filters in MIX:
        query = SearchQuery(workspace_id=workspace, terms=read_terms(text), filters=check_filters(filters), limit=20)
        params: dict[str, Any] = {"q": text, **filters}

        async def through_api(params: dict[str, Any] = params) -> None:
            answer = await api.get(f"/api/v1/workspaces/{workspace}/search", params=params, headers=headers)
            assert answer.status_code == 200, answer.text

        api_ms = await timed(through_api, QUERIES)
        engine_ms = await timed(lambda query=query: engine(query), QUERIES)
        spent = by_class.setdefault(label, ([], []))
        spent[0].extend(api_ms)
        spent[1].extend(engine_ms)
    results = []
    for label, (api_ms, engine_ms) in by_class.items():
        results.append({
            "benchmark": "P5 search latency", "index": name, "queries": label, "documents": DOCS,
            "api_p50_ms": round(statistics.median(api_ms), 2), "api_p95_ms": round(percentile(api_ms, 0.95), 2),
            "engine_p50_ms": round(statistics.median(engine_ms), 2),
            "engine_p95_ms": round(percentile(engine_ms, 0.95), 2),
            "ratio_p95": round(percentile(api_ms, 0.95) / percentile(engine_ms, 0.95), 3), "goal_ratio": 1.3,
            "goal_api_p95_ms": 50,
        })  # fmt: skip
    return results


def app_settings(url: str, **index: str) -> Any:
    return test_settings(profile="local", database_url=url, redis_url=os.environ["TEST_REDIS_URL"],
                         rate_limit_reads_per_minute=10**6, rate_limit_workspace_reads_per_minute=10**6,
                         log_level="WARNING", **index)  # fmt: skip


async def on_postgres(url: str) -> None:
    async with AsyncTestClient(app=create_app(app_settings(url))) as api:
        owner = await register(api, "bench-postgres")
        workspace = UUID(await create_workspace(api, owner))
        docs = documents(workspace, DOCS)
        pool = await open_pool(url, min_size=1, max_size=4, acquire_timeout=30)
        index = PostgresSearchIndex(pool)
        rate = await write_all(lambda batch: index.write(batch, []), docs)
        print(json.dumps({"benchmark": "P5 indexing", "index": "postgres", "documents": DOCS,
                          "adapter_docs_per_s": round(rate, 1)}), flush=True)  # fmt: skip
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("ANALYZE search_documents")
            await conn.execute("ANALYZE search_words")
            await conn.execute(f"SET pg_trgm.word_similarity_threshold = {TYPO_SIMILARITY}")

            async def straight(query: SearchQuery) -> None:
                await (await conn.execute(search_statement(query), _params(query))).fetchall()

            for line in await compare("postgres", api, owner.headers, workspace, straight):
                print(json.dumps(line), flush=True)
        await pool.close()


async def on_opensearch(url: str) -> None:
    opensearch_url, alias = os.environ["TEST_OPENSEARCH_URL"], f"bench-{uuid.uuid4().hex[:8]}"
    settings = app_settings(url, opensearch_url=opensearch_url, opensearch_index=alias)
    async with AsyncTestClient(app=create_app(settings)) as api:
        owner = await register(api, "bench-opensearch")
        workspace = UUID(await create_workspace(api, owner))
        docs = documents(workspace, DOCS)
        client = AsyncOpenSearch(hosts=[opensearch_url], timeout=60)
        index = OpenSearchIndex(client, alias)
        rate = await write_all(lambda batch: index.write(batch, []), docs)
        raw_alias = f"{alias}-raw"
        await OpenSearchIndex(client, raw_alias).ensure()

        async def raw_bulk(batch: list[SearchDocument]) -> None:
            await client.bulk(body=[line for d in batch for line in (
                {"index": {"_index": raw_alias, "_id": str(d.record_id)}},
                {"record_id": str(d.record_id), "workspace_id": str(workspace), "version": 1, "deleted": False,
                 "words": sorted(d.words)},
            )])  # fmt: skip

        raw_rate = await write_all(raw_bulk, docs)
        print(json.dumps({"benchmark": "P5 indexing", "index": "opensearch", "documents": DOCS,
                          "adapter_docs_per_s": round(rate, 1), "engine_bulk_docs_per_s": round(raw_rate, 1),
                          "ratio": round(rate / raw_rate, 3)}), flush=True)  # fmt: skip
        await client.indices.refresh(index=alias)

        async def straight(query: SearchQuery) -> None:
            await client.search(index=alias, body=_body(query))

        for line in await compare("opensearch", api, owner.headers, workspace, straight):
            print(json.dumps(line), flush=True)
        await client.close()


async def main() -> None:
    url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench_search")
    await migrate(url, MIGRATIONS)
    if "postgres" in INDEXES:
        await on_postgres(url)
    if "opensearch" in INDEXES:
        await on_opensearch(url)


if __name__ == "__main__":
    asyncio.run(main())
