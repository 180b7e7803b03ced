"""The search engine going away in the middle of a write load, on an OpenSearch-API engine of the test's own:
writes go on, searches answer 503, nothing is set aside as failed, and the index ends holding every record
at its version: by itself when the engine comes back with its data, through a reindex when it lost it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient
from opensearchpy import AsyncOpenSearch
from psycopg_pool import AsyncConnectionPool

from adapters.opensearch.search import OpenSearchIndex
from entrypoints.http.app import create_app
from tests.api import Account, assert_error, create_workspace, register
from tests.conftest import test_settings
from tests.integration.search.test_reindex import ADMIN
from tests.integration.search.test_replication_admin import platform_admin, until
from tests.services import ThrowawayOpenSearch

CHANGES = 150


@pytest.fixture
def engine() -> Iterator[ThrowawayOpenSearch]:
    server = ThrowawayOpenSearch()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def api(
    engine: ThrowawayOpenSearch, migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool
) -> AsyncIterator[Any]:
    """Requests to the engine time out after 0.5 s; a failed event is retried within 0.5 s. (The database is
    emptied before the app starts: emptying it under the app's replicator would deadlock.)"""
    settings = test_settings(
        profile="local", database_url=migrated_url, redis_url=clean_redis, opensearch_url=engine.url,
        opensearch_index="outage", opensearch_timeout_seconds=0.5, replication_poll_seconds=0.05,
        replication_first_retry_seconds=0.1, replication_max_retry_seconds=0.5,
    )  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def write_load(api: Any, owner: Account, workspace: str, stop: asyncio.Event) -> list[str]:
    """Writes one after another until `stop` (and at least CHANGES): creates, and renames of the last one
    created."""
    ids: list[str] = []
    i = 0
    while i < CHANGES or not stop.is_set():
        base = f"/api/v1/workspaces/{workspace}/records"
        person = {"inputs": {"fullName": f"Load Person{i}", "email": f"load{i}@acme.io"}}
        if i % 3 == 2:
            response = await api.patch(f"{base}/{ids[-1]}", json=person, headers=owner.headers)
            assert response.status_code == 200, response.text
        else:
            response = await api.post(base, json={"kind": "person", **person}, headers=owner.headers)
            assert response.status_code == 201, response.text
            ids.append(response.json()["data"]["id"])
        i += 1
        await asyncio.sleep(0.01)
    return ids


async def held(engine: ThrowawayOpenSearch, workspace: str) -> dict[UUID, int]:
    """Each document the engine holds for the workspace, at its version."""
    client = AsyncOpenSearch(hosts=[engine.url])
    try:
        return await OpenSearchIndex(client, "outage").versions(UUID(workspace))
    finally:
        await client.close()


async def some_indexed(engine: ThrowawayOpenSearch, workspace: str) -> bool:
    return len(await held(engine, workspace)) >= 10


async def versions_agree(engine: ThrowawayOpenSearch, pool: AsyncConnectionPool, workspace: str) -> bool:
    async with pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT id, version FROM records WHERE workspace_id = %s", (workspace,))
        ).fetchall()
    return await held(engine, workspace) == dict(rows)


async def nothing_failed(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM replication_failures")).fetchone()
    assert row == (0,), "an engine away is waited for, not counted against the events"


async def test_an_engine_that_stalls_mid_load_catches_up_exactly(
    api: Any, engine: ThrowawayOpenSearch, clean_pool: AsyncConnectionPool
) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    stop = asyncio.Event()
    load = asyncio.create_task(write_load(api, owner, workspace, stop))
    await until(lambda: some_indexed(engine, workspace), "nothing reached the engine")

    engine.pause()
    try:
        await asyncio.sleep(1.5)
        refused = await api.get(f"/api/v1/workspaces/{workspace}/search", params={"q": "load"}, headers=owner.headers)
        assert_error(refused, 503, "SEARCH_UNAVAILABLE")
        assert not load.done(), "writes go on while the engine is away"
    finally:
        engine.resume()
    await asyncio.sleep(0.5)
    stop.set()
    await load

    await until(lambda: versions_agree(engine, clean_pool, workspace), "the index did not catch up exactly")
    await nothing_failed(clean_pool)


async def test_an_engine_that_lost_its_data_is_made_whole_by_a_reindex(
    api: Any, engine: ThrowawayOpenSearch, clean_pool: AsyncConnectionPool
) -> None:
    admin, owner = await platform_admin(api, clean_pool), await register(api, "owner")
    workspace = await create_workspace(api, owner)
    stop = asyncio.Event()
    load = asyncio.create_task(write_load(api, owner, workspace, stop))
    await until(lambda: some_indexed(engine, workspace), "nothing reached the engine")
    engine.kill()
    await asyncio.sleep(0.5)
    engine.start()  # empty: it kept everything in memory
    await asyncio.sleep(0.5)
    stop.set()
    ids = await load

    async def caught_up() -> Any:
        status = (await api.get(f"{ADMIN}/status", headers=admin.headers)).json()["data"]
        return status if status["replication"]["behind"] == 0 and status["documents"] is not None else None

    status = await until(caught_up, "replication did not resume on the new engine")
    assert status["records"] == len(ids)
    assert status["documents"] < len(ids), "what the engine lost, only a reindex brings back"
    run = (await api.post(f"{ADMIN}/reindex", headers=admin.headers)).json()["data"]

    async def finished() -> Any:
        found = (await api.get(f"{ADMIN}/reindex/{run['id']}", headers=admin.headers)).json()["data"]
        return found if found["status"] != "running" else None

    assert (await until(finished, "the reindex did not finish"))["status"] == "succeeded"
    await until(lambda: versions_agree(engine, clean_pool, workspace), "the reindex did not make the index whole")
    await nothing_failed(clean_pool)
