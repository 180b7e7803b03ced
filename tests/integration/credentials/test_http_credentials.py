"""Credentials over HTTP, on the memory profile and on PostgreSQL + Redis: CRUD, masking, roles, audit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Account, assert_error, make_team
from tests.support.credentials import SECRET, create

API = "/api/v1"
MASK = "\u2022" * 8


async def test_create_answers_the_masked_credential_and_never_the_secret(api: Any) -> None:
    team = await make_team(api, "Credentials")
    response = await api.post(
        team.url("/credentials"),
        json={"provider": "hunter", "label": "  Hunter   main ", "secret": SECRET},
        headers=team.admin.headers,
    )

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"id", "provider", "label", "maskedSecret", "createdAt", "updatedAt"}
    assert (data["provider"], data["label"], data["maskedSecret"]) == ("hunter", "Hunter main", MASK + SECRET[-4:])
    assert data["createdAt"] == data["updatedAt"]
    assert SECRET not in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("a", MASK),
        ("abcd", MASK),
        ("abcde", MASK + "bcde"),
        ("key with spaces 1234", MASK + "1234"),
        ("clé-ünïcødé-ßecret", MASK + "cret"),
        ("x" * 4096, MASK + "xxxx"),
    ],
)
async def test_the_mask_shows_the_last_4_characters_only_of_longer_secrets(api: Any, secret: str, masked: str) -> None:
    team = await make_team(api, "Credentials")
    created = await create(api, team, secret=secret)
    assert created["maskedSecret"] == masked
    fetched = await api.get(f"{team.url('/credentials')}/{created['id']}", headers=team.admin.headers)
    assert fetched.json()["data"]["maskedSecret"] == masked


async def test_read_update_delete(api: Any) -> None:
    team = await make_team(api, "Credentials")
    created = await create(api, team)
    url = f"{team.url('/credentials')}/{created['id']}"

    fetched = await api.get(url, headers=team.owner.headers)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["data"] == created

    renamed = await api.patch(url, json={"label": "Renamed"}, headers=team.admin.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["label"] == "Renamed"
    assert renamed.json()["data"]["maskedSecret"] == created["maskedSecret"]
    assert renamed.json()["data"]["updatedAt"] >= created["updatedAt"]

    replaced = await api.patch(url, json={"secret": "new-secret-WXYZ"}, headers=team.owner.headers)
    assert replaced.json()["data"]["maskedSecret"] == MASK + "WXYZ"
    assert replaced.json()["data"]["label"] == "Renamed"

    both = await api.patch(url, json={"label": "Both", "secret": "zz"}, headers=team.admin.headers)
    assert (both.json()["data"]["label"], both.json()["data"]["maskedSecret"]) == ("Both", MASK)
    assert (await api.get(url, headers=team.admin.headers)).json()["data"] == both.json()["data"]

    deleted = await api.delete(url, headers=team.admin.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(await api.get(url, headers=team.admin.headers), 404, "NOT_FOUND")
    assert_error(await api.patch(url, json={"label": "x"}, headers=team.admin.headers), 404, "NOT_FOUND")
    assert_error(await api.delete(url, headers=team.admin.headers), 404, "NOT_FOUND")
    assert (await api.get(team.url("/credentials"), headers=team.admin.headers)).json()["data"] == []


async def test_the_list_is_newest_first_and_cursor_paginated(api: Any) -> None:
    team = await make_team(api, "Credentials")
    created = [await create(api, team, label=f"Key {i}") for i in range(5)]

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.get(team.url("/credentials"), params=params, headers=team.admin.headers)
        assert page.status_code == 200, page.text
        assert page.json()["meta"]["limit"] == 2
        seen += page.json()["data"]
        cursor = page.json()["meta"]["nextCursor"]
        if cursor is None:
            break
    assert seen == created[::-1]
    assert SECRET not in str(seen)


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_owners_and_admins_manage_credentials(api: Any, role: str) -> None:
    team = await make_team(api, "Credentials")
    actor: Account = getattr(team, role)
    created = await create(api, team, as_=actor)
    url = f"{team.url('/credentials')}/{created['id']}"
    assert (await api.get(team.url("/credentials"), headers=actor.headers)).status_code == 200
    assert (await api.get(url, headers=actor.headers)).status_code == 200
    assert (await api.patch(url, json={"label": "Mine"}, headers=actor.headers)).status_code == 200
    assert (await api.get(team.url("/audit-log"), headers=actor.headers)).status_code == 200
    assert (await api.delete(url, headers=actor.headers)).status_code == 204


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_members_and_viewers_are_forbidden_and_change_nothing(api: Any, role: str) -> None:
    team = await make_team(api, "Credentials")
    created = await create(api, team)
    url = f"{team.url('/credentials')}/{created['id']}"
    actor: Account = getattr(team, role)
    body = {"provider": "apollo", "label": "Sneaky", "secret": SECRET}
    for response in (
        await api.post(team.url("/credentials"), json=body, headers=actor.headers),
        await api.get(team.url("/credentials"), headers=actor.headers),
        await api.get(url, headers=actor.headers),
        await api.patch(url, json={"label": "Sneaky"}, headers=actor.headers),
        await api.delete(url, headers=actor.headers),
        await api.get(team.url("/audit-log"), headers=actor.headers),
    ):
        assert_error(response, 403, "FORBIDDEN")
    listed = await api.get(team.url("/credentials"), headers=team.owner.headers)
    assert listed.json()["data"] == [created]
    assert len((await api.get(team.url("/audit-log"), headers=team.owner.headers)).json()["data"]) == 1


async def test_every_change_is_audited_newest_first_without_the_secret(api: Any) -> None:
    team = await make_team(api, "Credentials")
    first = await create(api, team, as_=team.owner, label="First")
    second = await create(api, team, provider="clearbit", label="Second")
    await api.patch(
        f"{team.url('/credentials')}/{first['id']}", json={"label": "First, renamed"}, headers=team.admin.headers
    )
    await api.patch(
        f"{team.url('/credentials')}/{second['id']}", json={"secret": "rotated-secret-9876"}, headers=team.owner.headers
    )
    await api.patch(
        f"{team.url('/credentials')}/{second['id']}", json={"label": "Second"}, headers=team.owner.headers
    )  # no change
    await api.delete(f"{team.url('/credentials')}/{first['id']}", headers=team.owner.headers)

    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.get(team.url("/audit-log"), params=params, headers=team.admin.headers)
        assert page.status_code == 200, page.text
        entries += page.json()["data"]
        cursor = page.json()["meta"]["nextCursor"]
        if cursor is None:
            break

    summary = [(e["action"], e["actorId"], e["targetId"], e["details"]) for e in entries]
    assert summary == [
        ("credential.deleted", team.owner.id, first["id"], {"provider": "apollo", "label": "First, renamed"}),
        (
            "credential.updated",
            team.owner.id,
            second["id"],
            {"provider": "clearbit", "label": "Second", "changed": ["secret"]},
        ),
        (
            "credential.updated",
            team.admin.id,
            first["id"],
            {"provider": "apollo", "label": "First, renamed", "changed": ["label"]},
        ),
        ("credential.created", team.admin.id, second["id"], {"provider": "clearbit", "label": "Second"}),
        ("credential.created", team.owner.id, first["id"], {"provider": "apollo", "label": "First"}),
    ]
    assert {e["targetType"] for e in entries} == {"credential"}
    assert [e["createdAt"] for e in entries] == sorted((e["createdAt"] for e in entries), reverse=True)
    assert len({e["id"] for e in entries}) == 5
