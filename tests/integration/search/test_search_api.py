"""Search through the API, on the memory profile and on PostgreSQL + Redis: what users write is found within a
moment, what they delete is gone, no one finds another workspace's records, and any query is a clean answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api import Account, add_member, assert_error, create_workspace, register

PEOPLE = [
    {"kind": "person", "inputs": {"fullName": "Jonathan Smith", "email": "jon@acme.io", "companyName": "Acme"}},
    {"kind": "person", "inputs": {"fullName": "Jon Snow", "email": "snow@winterfell.org"}},
    {"kind": "company", "inputs": {"domain": "acme.io", "companyName": "Acme"}},
]


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
