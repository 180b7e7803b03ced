"""Bad input on the credential routes: the error envelope, never a 500, nothing written, no secret echoed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api import Team, assert_error, make_team
from tests.support.credentials import SECRET, create

VALID = {"provider": "apollo", "label": "Main", "secret": SECRET}
# Secrets in these bodies are unique enough to grep for in the answer.
CREATE_CASES: dict[str, tuple[Any, str]] = {
    "unknown-provider": ({**VALID, "provider": "salesforce"}, "provider"),
    "provider-wrong-case": ({**VALID, "provider": "Apollo"}, "provider"),
    "empty-provider": ({**VALID, "provider": ""}, "provider"),
    "oversized-secret": ({**VALID, "secret": "s3cr3t-" + "x" * 4090}, "secret"),
    "empty-secret": ({**VALID, "secret": ""}, "secret"),
    "blank-secret": ({**VALID, "secret": "     "}, "secret"),
    "secret-with-newline": ({**VALID, "secret": "s3cr3t-line\n"}, "secret"),
    "secret-with-nul": ({**VALID, "secret": "s3cr3t-\x00-nul"}, "secret"),
    "secret-with-escape": ({**VALID, "secret": "s3cr3t-\x1b[31m"}, "secret"),
    "empty-label": ({**VALID, "label": ""}, "label"),
    "blank-label": ({**VALID, "label": " \t "}, "label"),
    "long-label": ({**VALID, "label": "L" * 101}, "label"),
    "label-with-nul": ({**VALID, "label": "bad\x00label"}, "label"),
    "unknown-field": ({**VALID, "maskedSecret": "x"}, "maskedSecret"),
    "workspace-field": ({**VALID, "workspaceId": "x"}, "workspaceId"),
    "snake-case": ({"provider": "apollo", "label": "x", "secret": "y", "key_version": "v9"}, "key_version"),
    "missing-secret": ({"provider": "apollo", "label": "x"}, "secret"),
    "missing-provider": ({"label": "x", "secret": "s3cr3t-missing"}, "provider"),
    "secret-as-number": ({**VALID, "secret": 1234567}, "secret"),
    "secret-as-list": ({**VALID, "secret": ["s3cr3t-in-a-list"]}, "secret"),
    "not-an-object": ([VALID], ""),
}
PATCH_CASES: dict[str, tuple[Any, str]] = {
    "nothing": ({}, "label"),
    "both-null": ({"label": None, "secret": None}, "label"),
    "unknown-field": ({"provider": "hunter"}, "provider"),
    "oversized-secret": ({"secret": "s3cr3t-" + "x" * 4090}, "secret"),
    "empty-secret": ({"secret": ""}, "secret"),
    "secret-with-tab": ({"secret": "s3cr3t\twith-tab"}, "secret"),
    "long-label": ({"label": "L" * 101}, "label"),
    "blank-label": ({"label": "   "}, "label"),
    "label-as-number": ({"label": 5}, "label"),
}


async def state(api: Any, team: Team) -> tuple[Any, Any]:
    listed = await api.get(team.url("/credentials"), params={"limit": 200}, headers=team.owner.headers)
    audit = await api.get(team.url("/audit-log"), params={"limit": 200}, headers=team.owner.headers)
    return listed.json()["data"], audit.json()["data"]


def assert_rejected(response: Any, field: str, body: Any) -> None:
    error = assert_error(response, 422, "VALIDATION_FAILED")
    if field:
        assert field in json.dumps(error["details"]), error
    secret = body.get("secret") if isinstance(body, dict) else None
    if isinstance(secret, str) and len(secret.strip()) > 4:
        assert secret not in response.text
        assert secret.strip() not in response.text


@pytest.mark.parametrize("case", list(CREATE_CASES))
async def test_bad_create_bodies_are_422_and_write_nothing(api: Any, case: str) -> None:
    team = await make_team(api, "Credentials")
    await create(api, team)
    before = await state(api, team)
    body, field = CREATE_CASES[case]

    response = await api.post(team.url("/credentials"), json=body, headers=team.admin.headers)

    assert_rejected(response, field, body)
    assert await state(api, team) == before


@pytest.mark.parametrize("case", list(PATCH_CASES))
async def test_bad_patch_bodies_are_422_and_write_nothing(api: Any, case: str) -> None:
    team = await make_team(api, "Credentials")
    created = await create(api, team)
    before = await state(api, team)
    body, field = PATCH_CASES[case]

    response = await api.patch(f"{team.url('/credentials')}/{created['id']}", json=body, headers=team.admin.headers)

    assert_rejected(response, field, body)
    assert await state(api, team) == before


@pytest.mark.parametrize("raw", [b'{"provider": "apollo"', b"{'provider': 'apollo'}", b"", b'{"secret": "\xff"}'])
async def test_malformed_json_is_400(client: Any, raw: bytes) -> None:
    team = await make_team(client, "Credentials")
    headers = {**team.admin.headers, "Content-Type": "application/json"}
    response = await client.post(team.url("/credentials"), content=raw, headers=headers)
    assert response.status_code in {400, 422}
    assert_error(response, response.status_code, "VALIDATION_FAILED")
    assert (await client.get(team.url("/credentials"), headers=team.owner.headers)).json()["data"] == []


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/api/v1/workspaces/not-a-uuid/credentials"),
        ("POST", "/api/v1/workspaces/not-a-uuid/credentials"),
        ("GET", "/api/v1/workspaces/{ws}/credentials/not-a-uuid"),
        ("PATCH", "/api/v1/workspaces/{ws}/credentials/123"),
        ("DELETE", "/api/v1/workspaces/{ws}/credentials/{id}x"),
        ("GET", "/api/v1/workspaces/1234/audit-log"),
    ],
)
async def test_ids_that_are_not_uuids_match_no_route(client: Any, method: str, template: str) -> None:
    team = await make_team(client, "Credentials")
    created = await create(client, team)
    url = template.format(ws=team.workspace, id=created["id"])
    response = await client.request(method, url, json=VALID, headers=team.admin.headers)
    assert_error(response, 404, "NOT_FOUND")
    assert (await client.get(team.url("/credentials"), headers=team.owner.headers)).json()["data"] == [created]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"cursor": "!!not-a-cursor!!"}])
async def test_bad_paging_is_422(client: Any, params: dict[str, Any]) -> None:
    team = await make_team(client, "Credentials")
    for url in (team.url("/credentials"), team.url("/audit-log")):
        assert_error(await client.get(url, params=params, headers=team.admin.headers), 422, "VALIDATION_FAILED")
