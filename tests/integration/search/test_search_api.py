"""Search through the API, on the memory profile, on PostgreSQL + Redis, and with OpenSearch as the index: what
users write is found within a moment, what they delete is gone, no one finds another workspace's records, any
query is a clean answer, and an engine that is away costs searches, never writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool

from entrypoints.http.app import create_app
from tests.api import Account, add_member, assert_error, create_workspace, register
from tests.conftest import test_settings

PEOPLE = [
    {"kind": "person", "inputs": {"fullName": "Jonathan Smith", "email": "jon@acme.io", "companyName": "Acme"}},
    {"kind": "person", "inputs": {"fullName": "Jon Snow", "email": "snow@winterfell.org"}},
    {"kind": "company", "inputs": {"domain": "acme.io", "companyName": "Acme"}},
]


@pytest.fixture
async def os_client(
    migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool, opensearch_url: str
) -> AsyncIterator[Any]:
    """The local profile with OpenSearch (an index of its own) as the search index."""
    settings = test_settings(profile="local", database_url=migrated_url, redis_url=clean_redis,
                             opensearch_url=opensearch_url, opensearch_index=f"test-{uuid4().hex}")  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


@pytest.fixture(params=["client", "pg_client", "os_client"])
def api(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


async def search(api: Any, who: Account, workspace: str, **params: Any) -> Any:
    response = await api.get(f"/api/v1/workspaces/{workspace}/search", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def until_found(api: Any, who: Account, workspace: str, q: str, count: int) -> Any:
    """Replication is asynchronous: poll (the replicator looks every 0.5 s) for at most 10 s."""
    for _ in range(100):
        body = await search(api, who, workspace, q=q)
        if body["data"]["total"] == count:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{q!r}: {body['data']['total']} found, not {count}")


async def create(api: Any, who: Account, workspace: str, record: dict[str, Any]) -> str:
    response = await api.post(f"/api/v1/workspaces/{workspace}/records", json=record, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def test_records_are_found_as_typed_then_changed_then_gone(api: Any) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    ids = [await create(api, owner, workspace, record) for record in PEOPLE]

    body = await until_found(api, owner, workspace, "jon", 2)
    assert [hit["name"] for hit in body["data"]["hits"]] == ["Jon Snow", "Jonathan Smith"]
    assert [hit["match"] for hit in body["data"]["hits"]] == ["exact", "exact"]  # Jonathan's email is jon@...
    assert [hit["match"] for hit in (await search(api, owner, workspace, q="jonat"))["data"]["hits"]] == ["prefix"]
    assert body["meta"]["limit"] == 20
    assert body["meta"]["requestId"]
    everything = await search(api, owner, workspace)
    assert {f["value"]: f["count"] for f in everything["data"]["facets"]["kind"]} == {"person": 2, "company": 1}
    typo = await search(api, owner, workspace, q="jonathon smth")
    assert [hit["recordId"] for hit in typo["data"]["hits"]] == [ids[0]]

    changed = await api.patch(f"/api/v1/workspaces/{workspace}/records/{ids[1]}",
                              json={"inputs": {"fullName": "Arya Stark"}}, headers=owner.headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    await until_found(api, owner, workspace, "arya", 1)
    await until_found(api, owner, workspace, "snow", 1)  # still its email

    deleted = await api.delete(f"/api/v1/workspaces/{workspace}/records/{ids[0]}", headers=owner.headers)
    assert deleted.status_code == 204
    await until_found(api, owner, workspace, "jonathan", 0)


async def test_no_one_finds_another_workspaces_records(api: Any) -> None:
    owner, stranger, viewer = await register(api, "owner"), await register(api, "stranger"), await register(api, "v")
    workspace = await create_workspace(api, owner)
    theirs = await create_workspace(api, stranger)
    await add_member(api, workspace, owner, viewer, "viewer")
    await create(api, owner, workspace, PEOPLE[0])
    await until_found(api, viewer, workspace, "jonathan", 1)  # viewers search too

    refused = await api.get(f"/api/v1/workspaces/{workspace}/search", params={"q": "jon"}, headers=stranger.headers)
    assert_error(refused, 404, "NOT_FOUND")
    assert (await search(api, stranger, theirs, q="jonathan"))["data"]["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"limit": "0"},
        {"limit": "101"},
        {"sort": "oldest"},
        {"kind": "robot"},
        {"cursor": "not-a-cursor"},
        {"country": [f"c{i}" for i in range(21)]},
    ],
)
async def test_bad_queries_are_422(api: Any, params: dict[str, Any]) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)

    response = await api.get(f"/api/v1/workspaces/{workspace}/search", params=params, headers=owner.headers)

    assert response.status_code in (400, 422), response.text
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    "q", ['"', "a AND (b OR", "*:*", "\\", "' OR 1=1 --", "%_%", "\u202e\u0000\x07", "jon@", ".", "@", "{}[]"]
)
async def test_any_query_is_a_clean_answer(api: Any, q: str) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    await create(api, owner, workspace, PEOPLE[0])

    body = await search(api, owner, workspace, q=q)

    assert body["success"] is True
    assert body["data"]["total"] <= 1


async def test_an_engine_that_is_away_costs_searches_not_writes(
    migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool
) -> None:
    settings = test_settings(profile="local", database_url=migrated_url, redis_url=clean_redis,
                             opensearch_url="http://127.0.0.1:9")  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as api:
        owner = await register(api, "owner")
        workspace = await create_workspace(api, owner)
        await create(api, owner, workspace, PEOPLE[0])  # written, its event waiting in the outbox

        refused = await api.get(f"/api/v1/workspaces/{workspace}/search", params={"q": "jon"}, headers=owner.headers)

        assert_error(refused, 503, "SEARCH_UNAVAILABLE")
        health = (await api.get("/api/v1/health")).json()["data"]
        replication = next(c for c in health["components"] if c["name"] == "replication")
        assert "search: " in replication["detail"]
        assert replication["detail"] != "search: 0 events behind (0.0 s), 0 dead letters"
