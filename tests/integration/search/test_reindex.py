"""Rebuilding the search index through the API, on PostgreSQL (in place) and OpenSearch (a new index swapped
in): it repairs what the index lost or holds wrongly, loses no change made while it runs, is followed as it
goes, and is for platform admins only; `cascade search reindex|status` do the same from a shell."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.testing import AsyncTestClient
from opensearchpy import AsyncOpenSearch
from psycopg_pool import AsyncConnectionPool

from adapters.opensearch.search import OpenSearchIndex
from adapters.postgres.search import PostgresSearchIndex
from entrypoints.http.app import create_app
from entrypoints.wiring.settings import env_name, flat
from tests.api import Account, assert_error, create_workspace, register, server_sent_events
from tests.conftest import test_settings
from tests.contract.search.test_search_index import doc
from tests.integration.search.test_replication_admin import platform_admin, until
from tests.integration.search.test_search_api import create, search

ADMIN = "/api/v1/admin/search"


@dataclass
class Setup:
    api: Any
    index: PostgresSearchIndex | OpenSearchIndex  # the same index as the API's, seen from the test
    pool: AsyncConnectionPool
    engine: AsyncOpenSearch | None

    async def lose(self, record_id: str) -> None:
        """A document gone from the index behind replication's back."""
        if self.engine is not None:
            await self.engine.delete(index=self.index.alias, id=record_id, refresh="true")
            return
        async with self.pool.connection() as conn:
            await conn.execute("DELETE FROM search_words WHERE record_id = %s", (record_id,))
            await conn.execute("DELETE FROM search_documents WHERE record_id = %s", (record_id,))

    async def versions_agree(self, workspace: str) -> bool:
        async with self.pool.connection() as conn:
            rows = await (
                await conn.execute("SELECT id, version FROM records WHERE workspace_id = %s", (workspace,))
            ).fetchall()
        return await self.index.versions(UUID(workspace)) == dict(rows)


@pytest.fixture(params=["postgres", "opensearch"])
async def setup(
    request: pytest.FixtureRequest, migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool
) -> AsyncIterator[Setup]:
    """The local profile copying 25 records per bulk write, its index seen from here too."""
    extra: dict[str, Any] = {}
    engine = None
    index: PostgresSearchIndex | OpenSearchIndex = PostgresSearchIndex(clean_pool)
    if request.param == "opensearch":
        url, alias = request.getfixturevalue("opensearch_url"), f"test-{uuid4().hex}"
        extra = {"opensearch_url": url, "opensearch_index": alias}
        engine = AsyncOpenSearch(hosts=[url])
        index = OpenSearchIndex(engine, alias, refresh=True)
    settings = test_settings(profile="local", database_url=migrated_url, redis_url=clean_redis,
                             replication_poll_seconds=0.05, replication_batch=25, **extra)  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as api:
        yield Setup(api=api, index=index, pool=clean_pool, engine=engine)
    if engine is not None:
        await engine.close()


def person(name: str) -> dict[str, Any]:
    return {"kind": "person", "inputs": {"fullName": name, "email": f"{uuid4().hex[:12]}@acme.io"}}


async def people(setup: Setup, who: Account, workspace: str, count: int) -> list[str]:
    made = []
    for start in range(0, count, 20):
        batch = range(start, min(start + 20, count))
        made += await asyncio.gather(*(create(setup.api, who, workspace, person(f"Person Number{i}")) for i in batch))
    return made


async def converged(setup: Setup, workspace: str) -> None:
    async def agree() -> bool:
        return await setup.versions_agree(workspace)

    await until(agree, "the index never came to hold each record at its version")


async def test_a_reindex_repairs_the_index_and_is_followed_to_its_end(setup: Setup) -> None:
    api = setup.api
    admin, owner = await platform_admin(api, setup.pool), await register(api, "owner")
    workspace = await create_workspace(api, owner)
    ids = await people(setup, owner, workspace, 60)
    await converged(setup, workspace)
    await setup.lose(ids[0])
    orphan = doc(UUID(workspace), inputs={"fullName": "Person Nobody"})
    await setup.index.write([orphan], [])
    assert (await search(api, owner, workspace, q="person"))["data"]["total"] == 60  # one lost, one orphan
    live = (await api.get(f"{ADMIN}/status", headers=admin.headers)).json()["data"]["index"]

    started = await api.post(f"{ADMIN}/reindex", headers=admin.headers)
    assert started.status_code == 202, started.text
    run = started.json()["data"]
    assert (run["status"], run["total"]) == ("running", 60)
    events = await server_sent_events(api, f"{ADMIN}/reindex/{run['id']}/events", admin.headers)

    name, final = events[-1]
    assert name == "end"
    assert (final["status"], final["phase"], final["copied"], final["failed"]) == ("succeeded", "done", 60, 0)
    copied = [data["copied"] for _, data in events]
    assert copied == sorted(copied), "progress only moves forward"
    found = await search(api, owner, workspace, q="person", limit=100)
    assert sorted(h["recordId"] for h in found["data"]["hits"]) == sorted(ids)
    status = (await api.get(f"{ADMIN}/status", headers=admin.headers)).json()["data"]
    assert (status["documents"], status["records"], status["lastError"]) == (60, 60, None)
    assert status["reindex"]["id"] == run["id"]
    if setup.engine is not None:
        assert status["index"] == live.replace("-v1", "-v2"), "a new index, swapped in"
        assert not await setup.engine.indices.exists(index=live), "the old index is dropped"
    assert (await api.get(f"{ADMIN}/reindex/{run['id']}", headers=admin.headers)).json()["data"] == final


async def test_no_change_made_during_a_reindex_is_lost(setup: Setup) -> None:
    api = setup.api
    admin, owner = await platform_admin(api, setup.pool), await register(api, "owner")
    workspace = await create_workspace(api, owner)
    ids = await people(setup, owner, workspace, 150)
    run = (await api.post(f"{ADMIN}/reindex", headers=admin.headers)).json()["data"]
    rng = random.Random(7)
    changes = 0

    async def running() -> bool:
        found = (await api.get(f"{ADMIN}/reindex/{run['id']}", headers=admin.headers)).json()["data"]
        return found["status"] == "running"

    while await running() or changes < 20:
        record = rng.choice(ids)
        if changes % 10 == 9:
            await api.delete(f"/api/v1/workspaces/{workspace}/records/{record}", headers=owner.headers)
            ids.remove(record)
        elif changes % 3 == 0:
            ids += await people(setup, owner, workspace, 1)
        else:
            renamed = {"inputs": person(f"Renamed {changes}")["inputs"]}
            url = f"/api/v1/workspaces/{workspace}/records/{record}"
            response = await api.patch(url, json=renamed, headers=owner.headers)
            assert response.status_code == 200, response.text
        changes += 1

    final = (await api.get(f"{ADMIN}/reindex/{run['id']}", headers=admin.headers)).json()["data"]
    assert final["status"] == "succeeded", final
    await converged(setup, workspace)
    assert (await search(api, owner, workspace, limit=100))["data"]["total"] == len(ids)


async def test_only_platform_admins_and_one_at_a_time(setup: Setup) -> None:
    api = setup.api
    admin, owner = await platform_admin(api, setup.pool), await register(api, "owner")
    for method, path in (("GET", "/status"), ("POST", "/reindex"), ("GET", f"/reindex/{uuid4()}"),
                         ("GET", f"/reindex/{uuid4()}/events")):  # fmt: skip
        assert_error(await api.request(method, ADMIN + path, headers=owner.headers), 403, "FORBIDDEN")
        assert_error(await api.request(method, ADMIN + path), 401, "UNAUTHORIZED")
    assert_error(await api.get(f"{ADMIN}/reindex/{uuid4()}", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(await api.get(f"{ADMIN}/reindex/{uuid4()}/events", headers=admin.headers), 404, "NOT_FOUND")
    async with setup.pool.connection() as conn:  # as if another process were reindexing right now
        await conn.execute(
            "INSERT INTO search_reindexes (id, status, phase, total, copied, caught_up, failed, started_at,"
            " updated_at) VALUES (%s, 'running', 'copying', 0, 0, 0, 0, now(), now())",
            (uuid4(),),
        )
    assert_error(await api.post(f"{ADMIN}/reindex", headers=admin.headers), 409, "CONFLICT")


def test_cascade_search_reindex_and_status(migrated_url: str, clean_pool: AsyncConnectionPool) -> None:
    settings = test_settings(profile="local", database_url=migrated_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {env_name(name): str(value) for name, value in flat(settings).items()}
    env[env_name("log_level")] = "WARNING"

    def cascade(*args: str) -> list[dict[str, Any]]:
        done = subprocess.run([sys.executable, "-m", "entrypoints.cli.main", "search", *args],
                              env=env, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    lines = cascade("reindex")
    assert lines[-1]["status"] == "succeeded"
    assert lines[-1]["index"] == "search_documents"
    (status,) = cascade("status")
    assert (status["index"], status["documents"], status["records"]) == ("search_documents", 0, 0)
    assert status["reindex"]["id"] == lines[-1]["id"]
