"""Records over HTTP, on the memory profile and on PostgreSQL + Redis: CRUD, normalization, filters, roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Account, assert_error, make_team
from tests.support.records import create, listed

API = "/api/v1"
KEYS = {"id", "kind", "inputs", "fields", "provenance", "status", "createdAt", "updatedAt"}


async def test_create_normalizes_the_inputs_and_answers_the_new_record(api: Any) -> None:
    team = await make_team(api, "Records")
    inputs = {"email": "  Ann.Lee@ACME.com ", "firstName": " Ann ", "domain": "HTTPS://www.Acme.com/team?x=1"}
    response = await api.post(
        team.url("/records"), json={"kind": "person", "inputs": inputs}, headers=team.member.headers
    )

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == KEYS
    assert data["inputs"] == {"email": "ann.lee@acme.com", "firstName": "Ann", "domain": "acme.com"}
    assert (data["kind"], data["fields"], data["provenance"], data["status"]) == ("person", {}, {}, "new")
    assert data["createdAt"] == data["updatedAt"]
    fetched = await api.get(f"{team.url('/records')}/{data['id']}", headers=team.viewer.headers)
    assert fetched.json()["data"] == data


async def test_read_update_delete(api: Any) -> None:
    team = await make_team(api, "Records")
    inputs = {"fullName": "Bo Chen", "companyName": "Initech", "linkedinUrl": "https://linkedin.com/in/bo"}
    created = await create(api, team, as_=team.owner, kind="company", inputs=inputs)
    url = f"{team.url('/records')}/{created['id']}"

    changes = {"companyName": "Initech SAS", "linkedinUrl": None, "domain": "initech.fr"}
    updated = await api.patch(url, json={"inputs": changes}, headers=team.member.headers)
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert data["inputs"] == {"fullName": "Bo Chen", "companyName": "Initech SAS", "domain": "initech.fr"}
    assert (data["kind"], data["status"], data["createdAt"]) == ("company", "new", created["createdAt"])
    assert data["updatedAt"] != created["updatedAt"]
    assert (await api.get(url, headers=team.viewer.headers)).json()["data"] == data

    same = await api.patch(url, json={"inputs": {"fullName": " Bo Chen "}}, headers=team.admin.headers)
    assert same.json()["data"] == data  # nothing changed: nothing written

    deleted = await api.delete(url, headers=team.member.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(await api.get(url, headers=team.member.headers), 404, "NOT_FOUND")
    assert_error(
        await api.patch(url, json={"inputs": {"email": "x@y.co"}}, headers=team.member.headers), 404, "NOT_FOUND"
    )
    assert_error(await api.delete(url, headers=team.member.headers), 404, "NOT_FOUND")
    assert await listed(api, team) == []


async def test_the_list_is_newest_first_and_cursor_paginated(api: Any) -> None:
    team = await make_team(api, "Records")
    created = [await create(api, team, inputs={"email": f"p{i}@acme.com"}) for i in range(5)]

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.get(team.url("/records"), params=params, headers=team.viewer.headers)
        assert page.status_code == 200, page.text
        assert page.json()["meta"]["limit"] == 2
        seen += page.json()["data"]
        cursor = page.json()["meta"]["nextCursor"]
        if cursor is None:
            break
    assert seen == created[::-1]


async def test_filters_by_kind_status_and_domain(api: Any) -> None:
    team = await make_team(api, "Records")
    ann = await create(api, team, inputs={"email": "ann@acme.com", "domain": "acme.com"})
    bo = await create(api, team, inputs={"email": "bo@initech.com"})
    acme = await create(api, team, kind="company", inputs={"domain": "www.acme.com"})
    initech = await create(api, team, kind="company", inputs={"domain": "initech.com"})

    assert await listed(api, team, kind="person") == [bo, ann]
    assert await listed(api, team, kind="company") == [initech, acme]
    assert await listed(api, team, status="new") == [initech, acme, bo, ann]
    assert await listed(api, team, status="enriched") == []
    assert await listed(api, team, domain="acme.com") == [acme, ann]
    assert await listed(api, team, domain="https://WWW.ACME.com/about") == [acme, ann]
    assert await listed(api, team, domain="acme.com", kind="company", status="new") == [acme]
    assert await listed(api, team, domain="initech.com", kind="person") == []  # an email is not a domain


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"status": "done"}, "status"),
        ({"status": "NEW"}, "status"),
        ({"domain": "not a domain"}, "domain"),
        ({"domain": "x" * 501}, "domain"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
async def test_bad_filters_are_422(api: Any, params: dict[str, Any], field: str) -> None:
    team = await make_team(api, "Records")
    error = assert_error(
        await api.get(team.url("/records"), params=params, headers=team.viewer.headers), 422, "VALIDATION_FAILED"
    )
    assert field in str(error["details"])


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
async def test_members_and_above_write_records(api: Any, role: str) -> None:
    team = await make_team(api, "Records")
    actor: Account = getattr(team, role)
    created = await create(api, team, as_=actor)
    url = f"{team.url('/records')}/{created['id']}"
    assert (await api.patch(url, json={"inputs": {"firstName": "Ann"}}, headers=actor.headers)).status_code == 200
    assert (await api.delete(url, headers=actor.headers)).status_code == 204


async def test_viewers_read_but_cannot_write_and_change_nothing(api: Any) -> None:
    team = await make_team(api, "Records")
    created = await create(api, team)
    url = f"{team.url('/records')}/{created['id']}"
    viewer = team.viewer.headers

    assert (await api.get(url, headers=viewer)).json()["data"] == created
    assert (await api.get(team.url("/records"), headers=viewer)).json()["data"] == [created]
    for response in (
        await api.post(
            team.url("/records"), json={"kind": "person", "inputs": {"email": "spy@acme.com"}}, headers=viewer
        ),
        await api.patch(url, json={"inputs": {"email": "spy@acme.com"}}, headers=viewer),
        await api.delete(url, headers=viewer),
    ):
        assert_error(response, 403, "FORBIDDEN")
    assert await listed(api, team) == [created]
