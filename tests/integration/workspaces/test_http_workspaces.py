"""Workspaces over HTTP: create, list (cursor pagination), get, rename, delete.

Each test runs on the memory profile and on real PostgreSQL + Redis.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.api import Account, add_member, assert_error, create_workspace, register

WORKSPACES = "/api/v1/workspaces"


async def list_all(api: Any, account: Account, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of GET /workspaces, following meta.nextCursor."""
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(50):
        response = await api.get(WORKSPACES, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["meta"]["limit"] == limit
        assert body["meta"]["requestId"] == response.headers["x-request-id"]
        pages.append(body["data"])
        cursor = body["meta"]["nextCursor"]
        if cursor is None:
            return pages
        params = {"limit": limit, "cursor": cursor}
    raise AssertionError("pagination never ended")


async def workspace_ids(api: Any, account: Account) -> list[str]:
    return [w["id"] for page in await list_all(api, account, 200) for w in page]


async def test_create_makes_the_creator_owner(api: Any) -> None:
    owner = await register(api, "owner")
    response = await api.post(WORKSPACES, json={"name": "  Acme   Corp "}, headers=owner.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["error"] is None
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    data = body["data"]
    assert set(data) == {"id", "name", "role", "createdAt"}
    assert data["name"] == "Acme Corp"
    assert data["role"] == "owner"
    assert datetime.fromisoformat(data["createdAt"]).tzinfo is not None

    fetched = await api.get(f"{WORKSPACES}/{data['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json()["data"] == data

    members = await api.get(f"{WORKSPACES}/{data['id']}/members", headers=owner.headers)
    assert [(m["userId"], m["role"]) for m in members.json()["data"]] == [(owner.id, "owner")]


async def test_create_needs_authentication(api: Any) -> None:
    assert_error(await api.post(WORKSPACES, json={"name": "Acme"}), 401, "UNAUTHORIZED")
    assert_error(await api.get(WORKSPACES), 401, "UNAUTHORIZED")


async def test_list_shows_only_my_workspaces_with_my_role(api: Any) -> None:
    alice = await register(api, "alice")
    bob = await register(api, "bob")
    mine = await create_workspace(api, alice, "Alice's")
    shared = await create_workspace(api, bob, "Bob's shared")
    await create_workspace(api, bob, "Bob's private")
    await add_member(api, shared, bob, alice, "viewer")

    response = await api.get(WORKSPACES, headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["nextCursor"] is None
    assert body["meta"]["limit"] == 50
    roles = {w["id"]: (w["name"], w["role"]) for w in body["data"]}
    assert roles == {mine: ("Alice's", "owner"), shared: ("Bob's shared", "viewer")}


async def test_list_is_cursor_paginated_without_duplicates(api: Any) -> None:
    owner = await register(api, "pager")
    created = [await create_workspace(api, owner, f"W{i}") for i in range(3)]

    pages = await list_all(api, owner, limit=2)
    assert [len(p) for p in pages] == [2, 1]
    seen = [w["id"] for page in pages for w in page]
    assert len(seen) == len(set(seen)) == 3
    assert set(seen) == set(created)
    # oldest first, in creation order
    assert seen == created


async def test_a_full_last_page_has_no_next_cursor(api: Any) -> None:
    owner = await register(api, "exact")
    created = [await create_workspace(api, owner, f"W{i}") for i in range(2)]
    pages = await list_all(api, owner, limit=2)
    # no cursor pointing at an empty page
    assert [[w["id"] for w in page] for page in pages] == [created]


async def test_limit_one_walks_every_workspace(api: Any) -> None:
    owner = await register(api, "walker")
    created = [await create_workspace(api, owner, f"W{i}") for i in range(4)]
    pages = await list_all(api, owner, limit=1)
    assert [w["id"] for page in pages for w in page] == created


async def test_get_one(api: Any) -> None:
    owner = await register(api, "owner")
    member = await register(api, "member")
    stranger = await register(api, "stranger")
    workspace = await create_workspace(api, owner, "Getme")
    await add_member(api, workspace, owner, member, "member")

    as_owner = await api.get(f"{WORKSPACES}/{workspace}", headers=owner.headers)
    assert as_owner.status_code == 200
    assert as_owner.json()["data"]["role"] == "owner"
    assert as_owner.json()["data"]["name"] == "Getme"
    as_member = await api.get(f"{WORKSPACES}/{workspace}", headers=member.headers)
    assert as_member.status_code == 200
    assert as_member.json()["data"]["role"] == "member"

    assert_error(await api.get(f"{WORKSPACES}/{workspace}", headers=stranger.headers), 404, "NOT_FOUND")
    unknown = "00000000-0000-7000-8000-000000000000"
    assert_error(await api.get(f"{WORKSPACES}/{unknown}", headers=owner.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_admin_and_owner_may_rename(api: Any, role: str) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner, "Old name")
    actor = owner
    if role == "admin":
        actor = await register(api, "admin")
        await add_member(api, workspace, owner, actor, "admin")

    response = await api.patch(f"{WORKSPACES}/{workspace}", json={"name": " New   name "}, headers=actor.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == workspace
    assert data["name"] == "New name"
    assert data["role"] == role

    fetched = await api.get(f"{WORKSPACES}/{workspace}", headers=owner.headers)
    assert fetched.json()["data"]["name"] == "New name"


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_member_and_viewer_may_not_rename(api: Any, role: str) -> None:
    owner = await register(api, "owner")
    actor = await register(api, role)
    workspace = await create_workspace(api, owner, "Stays")
    await add_member(api, workspace, owner, actor, role)

    response = await api.patch(f"{WORKSPACES}/{workspace}", json={"name": "Hijacked"}, headers=actor.headers)
    assert_error(response, 403, "FORBIDDEN")
    fetched = await api.get(f"{WORKSPACES}/{workspace}", headers=owner.headers)
    assert fetched.json()["data"]["name"] == "Stays"


async def test_rename_rejects_a_blank_or_too_long_name(api: Any) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner, "Keep")
    for name in ["   ", "", "x" * 101]:
        response = await api.patch(f"{WORKSPACES}/{workspace}", json={"name": name}, headers=owner.headers)
        assert_error(response, 422, "VALIDATION_FAILED")
    ok = await api.patch(f"{WORKSPACES}/{workspace}", json={"name": "x" * 100}, headers=owner.headers)
    assert ok.status_code == 200


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
async def test_only_the_owner_may_delete(api: Any, role: str) -> None:
    owner = await register(api, "owner")
    actor = await register(api, role)
    workspace = await create_workspace(api, owner, "Precious")
    await add_member(api, workspace, owner, actor, role)

    assert_error(await api.delete(f"{WORKSPACES}/{workspace}", headers=actor.headers), 403, "FORBIDDEN")
    still = await api.get(f"{WORKSPACES}/{workspace}", headers=owner.headers)
    assert still.status_code == 200
    assert workspace in await workspace_ids(api, actor)


async def test_delete_removes_the_workspace_for_everyone(api: Any) -> None:
    owner = await register(api, "owner")
    member = await register(api, "member")
    workspace = await create_workspace(api, owner, "Doomed")
    kept = await create_workspace(api, owner, "Kept")
    await add_member(api, workspace, owner, member, "admin")
    pending = await api.post(
        f"{WORKSPACES}/{workspace}/invitations",
        json={"email": "later@example.com", "role": "member"},
        headers=owner.headers,
    )
    assert pending.status_code == 201

    response = await api.delete(f"{WORKSPACES}/{workspace}", headers=owner.headers)
    assert response.status_code == 204
    assert response.content == b""

    for account in (owner, member):
        assert_error(await api.get(f"{WORKSPACES}/{workspace}", headers=account.headers), 404, "NOT_FOUND")
        members = await api.get(f"{WORKSPACES}/{workspace}/members", headers=account.headers)
        assert_error(members, 404, "NOT_FOUND")
        renamed = await api.patch(f"{WORKSPACES}/{workspace}", json={"name": "Back"}, headers=account.headers)
        assert_error(renamed, 404, "NOT_FOUND")
    assert_error(await api.get(f"{WORKSPACES}/{workspace}/invitations", headers=owner.headers), 404, "NOT_FOUND")
    assert await workspace_ids(api, owner) == [kept]
    assert await workspace_ids(api, member) == []

    # the invitation went with it
    later = await api.post(
        "/api/v1/auth/register", json={"email": "later@example.com", "password": "long enough pw", "name": "Later"}
    )
    token = pending.json()["data"]["token"]
    later_headers = {"Authorization": f"Bearer {later.json()['data']['accessToken']}"}
    assert_error(
        await api.post("/api/v1/invitations/accept", json={"token": token}, headers=later_headers), 404, "NOT_FOUND"
    )

    # deleting twice: the workspace is gone
    assert_error(await api.delete(f"{WORKSPACES}/{workspace}", headers=owner.headers), 404, "NOT_FOUND")
