"""Bad input on the record routes: the 422 envelope naming the field, never a 500, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api import assert_error, make_team
from tests.support.records import create, listed

PERSON = {"kind": "person", "inputs": {"email": "ann@acme.com"}}
CREATE_CASES: dict[str, tuple[Any, str]] = {
    "unknown-kind": ({**PERSON, "kind": "robot"}, "kind"),
    "kind-wrong-case": ({**PERSON, "kind": "Person"}, "kind"),
    "missing-kind": ({"inputs": {"email": "ann@acme.com"}}, "kind"),
    "missing-inputs": ({"kind": "person"}, "inputs"),
    "no-inputs": ({"kind": "person", "inputs": {}}, "inputs"),
    "unknown-input": ({"kind": "person", "inputs": {"email": "a@acme.com", "phone": "+33"}}, "phone"),
    "snake-case-input": ({"kind": "person", "inputs": {"domain": "acme.com", "first_name": "Ann"}}, "first_name"),
    "unknown-field": ({**PERSON, "status": "enriched"}, "status"),
    "fields-given": ({**PERSON, "fields": {"title": "CEO"}}, "fields"),
    "null-input": ({"kind": "person", "inputs": {"email": None}}, "inputs.email"),
    "number-input": ({"kind": "person", "inputs": {"domain": 42}}, "inputs.domain"),
    "list-input": ({"kind": "person", "inputs": {"email": ["ann@acme.com"]}}, "inputs.email"),
    "bad-email": ({"kind": "person", "inputs": {"email": "ann at acme"}}, "inputs.email"),
    "bad-domain": ({"kind": "company", "inputs": {"domain": "acme"}}, "inputs.domain"),
    "email-as-domain": ({"kind": "company", "inputs": {"domain": "ann@acme.com"}}, "inputs.domain"),
    "blank-input": ({"kind": "person", "inputs": {"domain": "acme.com", "fullName": "   "}}, "inputs.fullName"),
    "long-input": ({"kind": "person", "inputs": {"domain": "acme.com", "fullName": "A" * 501}}, "inputs.fullName"),
    "newline": ({"kind": "person", "inputs": {"domain": "acme.com", "lastName": "Lee\n"}}, "inputs.lastName"),
    "nul": ({"kind": "person", "inputs": {"linkedinUrl": "https://linkedin.com/in/\x00"}}, "inputs.linkedinUrl"),
    "escape": ({"kind": "company", "inputs": {"companyName": "\x1b[31mAcme", "domain": "a.co"}}, "companyName"),
    "name-only": ({"kind": "person", "inputs": {"fullName": "Ann Lee"}}, "inputs"),
    "first-name-and-company": ({"kind": "person", "inputs": {"firstName": "Ann", "companyName": "Acme"}}, "inputs"),
    "company-name-only": ({"kind": "company", "inputs": {"companyName": "Acme"}}, "inputs"),
    "not-an-object": ([PERSON], ""),
}
PATCH_CASES: dict[str, tuple[Any, str]] = {
    "empty-body": ({}, "inputs"),
    "no-inputs": ({"inputs": {}}, "inputs"),
    "kind": ({"kind": "company", "inputs": {"firstName": "Ann"}}, "kind"),
    "unknown-input": ({"inputs": {"title": "CEO"}}, "title"),
    "status": ({"inputs": {"firstName": "Ann"}, "status": "enriched"}, "status"),
    "bad-email": ({"inputs": {"email": "nope"}}, "inputs.email"),
    "long-input": ({"inputs": {"companyName": "A" * 501}}, "inputs.companyName"),
    "tab": ({"inputs": {"firstName": "A\tnn"}}, "inputs.firstName"),
    "number-input": ({"inputs": {"firstName": 5}}, "inputs.firstName"),
    "removes-the-only-identifier": ({"inputs": {"email": None}}, "inputs"),
    "replaces-it-with-a-name": ({"inputs": {"email": None, "fullName": "Ann Lee"}}, "inputs"),
}


def assert_rejected(response: Any, field: str) -> None:
    error = assert_error(response, 422, "VALIDATION_FAILED")
    if field:
        assert field in json.dumps(error["details"]), error


@pytest.mark.parametrize("case", list(CREATE_CASES))
async def test_bad_create_bodies_are_422_and_write_nothing(api: Any, case: str) -> None:
    team = await make_team(api, "Records")
    before = [await create(api, team)]
    body, field = CREATE_CASES[case]

    response = await api.post(team.url("/records"), json=body, headers=team.member.headers)

    assert_rejected(response, field)
    assert await listed(api, team) == before


@pytest.mark.parametrize("case", list(PATCH_CASES))
async def test_bad_patch_bodies_are_422_and_write_nothing(api: Any, case: str) -> None:
    team = await make_team(api, "Records")
    created = await create(api, team)
    body, field = PATCH_CASES[case]

    response = await api.patch(f"{team.url('/records')}/{created['id']}", json=body, headers=team.member.headers)

    assert_rejected(response, field)
    assert await listed(api, team) == [created]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/not-a-uuid"), ("PATCH", "/123"), ("DELETE", "/{id}x"), ("GET", "/00000000-0000-0000-0000-000000000000")],
)
async def test_unknown_or_malformed_record_ids_are_404(client: Any, method: str, path: str) -> None:
    team = await make_team(client, "Records")
    created = await create(client, team)
    url = team.url("/records") + path.format(id=created["id"])
    response = await client.request(method, url, json={"inputs": {"firstName": "x"}}, headers=team.member.headers)
    assert_error(response, 404, "NOT_FOUND")
    assert await listed(client, team) == [created]
