"""Synchronous enrichment over HTTP: the real adapters against the fake providers, on memory and Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from ports.enrichment import AttemptReader
from tests.api import add_member, assert_error, create_workspace, register
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders
from tests.support.enrichment import balance, enrich, on_backend, provider_settings


@pytest.fixture(params=["memory", "postgres"])
def enrich_settings(request: pytest.FixtureRequest, fakes: FakeProviders) -> dict[str, Any]:
    return on_backend(
        request, provider_settings(fakes, apollo=KEYS["apollo"], hunter=KEYS["hunter"], clearbit=KEYS["clearbit"])
    )


@pytest.fixture
async def enrich_api(enrich_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(test_settings(**enrich_settings))) as client:
        yield client


MAYA = {"kind": "person", "inputs": {"email": "maya.chen@northwind.io"}}


async def test_a_person_is_enriched_charged_once_and_cached(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    before = await balance(enrich_api, owner, workspace)

    first = await enrich(enrich_api, owner, workspace, {**MAYA, "fields": ["title", "linkedinUrl", "firstName"]})
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    record = data["record"]
    assert record["fields"]["title"] == "VP Engineering"
    assert record["fields"]["firstName"] == "Maya"
    assert record["status"] == "enriched"
    assert record["provenance"]["title"]["provider"] == "apollo"
    assert [a["provider"] for a in data["attempts"]] == ["apollo"], "apollo had everything: the waterfall stops"
    assert data["attempts"][0]["outcome"] == "hit"
    assert data["creditsCharged"] == 1
    assert await balance(enrich_api, owner, workspace) == before - 1

    stored = await enrich_api.get(f"/api/v1/workspaces/{workspace}/records/{record['id']}", headers=owner.headers)
    assert stored.json()["data"]["fields"]["title"] == "VP Engineering"

    again = await enrich(enrich_api, owner, workspace, {**MAYA, "fields": ["title"]})
    attempts = again.json()["data"]["attempts"]
    assert attempts[0]["cached"] is True
    assert again.json()["data"]["creditsCharged"] == 0
    assert await balance(enrich_api, owner, workspace) == before - 1


async def test_a_miss_falls_through_and_non_billable_misses_cost_nothing(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    before = await balance(enrich_api, owner, workspace)
    body = {"kind": "person", "inputs": {"email": "nobody@nowhere-known.com"}, "fields": ["title"]}
    response = await enrich(enrich_api, owner, workspace, body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    outcomes = {a["provider"]: (a["outcome"], a["credits"]) for a in data["attempts"]}
    assert outcomes["apollo"] == ("miss", 0)
    assert data["record"]["status"] == "not_found"
    # Clearbit bills misses (2 credits): everything charged is exactly what the attempts say
    assert await balance(enrich_api, owner, workspace) == before - data["creditsCharged"]
    assert data["creditsCharged"] == sum(credits for _, credits in outcomes.values())


async def test_the_ceiling_is_honoured(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    body = {"kind": "person", "inputs": {"email": "nobody@nowhere-known.com"}, "fields": ["title"], "maxCredits": 0}
    data = (await enrich(enrich_api, owner, workspace, body)).json()["data"]
    assert data["attempts"] == []
    assert data["creditsCharged"] == 0


async def test_members_enrich_viewers_do_not_and_strangers_see_nothing(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    viewer = await register(enrich_api)
    stranger = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    await add_member(enrich_api, workspace, owner, viewer, "viewer")
    body = {**MAYA, "fields": ["title"]}
    assert_error(await enrich(enrich_api, viewer, workspace, body), 403, "FORBIDDEN")
    assert_error(await enrich(enrich_api, stranger, workspace, body), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {**MAYA, "fields": []},
        {**MAYA, "fields": ["employeeCount"]},  # a company field for a person
        {**MAYA, "fields": ["title"], "providers": ["nosuch"]},
        {"fields": ["title"]},  # neither a record nor inputs
        {"kind": "person", "inputs": {"firstName": "Ann"}, "fields": ["title"]},  # nothing that identifies
    ],
)
async def test_bad_requests_are_422_and_charge_nothing(enrich_api: Any, body: dict[str, Any]) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    before = await balance(enrich_api, owner, workspace)
    assert_error(await enrich(enrich_api, owner, workspace, body), 422, "VALIDATION_FAILED")
    assert await balance(enrich_api, owner, workspace) == before


async def test_without_any_key_providers_are_skipped_and_nothing_is_charged(fakes: FakeProviders) -> None:
    async with AsyncTestClient(app=create_app(test_settings(**provider_settings(fakes)))) as client:
        owner = await register(client)
        workspace = await create_workspace(client, owner)
        before = await balance(client, owner, workspace)
        data = (await enrich(client, owner, workspace, {**MAYA, "fields": ["title"]})).json()["data"]
        assert {a["outcome"] for a in data["attempts"]} == {"skipped"}
        assert data["record"]["status"] == "failed"
        assert await balance(client, owner, workspace) == before

        # the workspace's own key, stored as a credential, is used where the platform has none
        created = await client.post(
            f"/api/v1/workspaces/{workspace}/credentials",
            json={"provider": "apollo", "label": "ours", "secret": KEYS["apollo"]},
            headers=owner.headers,
        )
        assert created.status_code == 201, created.text
        data = (await enrich(client, owner, workspace, {**MAYA, "fields": ["title"]})).json()["data"]
        assert data["record"]["fields"]["title"] == "VP Engineering"


async def test_providers_are_listed_with_their_circuit(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    response = await enrich_api.get("/api/v1/providers", headers=owner.headers)
    assert response.status_code == 200
    listed = response.json()["data"]
    # cheapest first; no scraper: this deployment has no scraper service (test_available_providers.py)
    assert [p["name"] for p in listed] == ["apollo", "hunter", "clearbit"]
    assert listed[0]["creditCost"] == 1
    clearbit = listed[2]
    assert clearbit["missBillable"] is True
    assert clearbit["creditCost"] == 2
    assert clearbit["circuit"]["state"] == "closed"
    assert_error(await enrich_api.get("/api/v1/providers"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("secret", "valid", "outcome"), [(KEYS["apollo"], True, "miss"), ("wrong-key", False, "invalid_credentials")]
)
async def test_a_stored_key_is_tested_against_its_provider_and_audited(
    enrich_api: Any, secret: str, valid: bool, outcome: str
) -> None:
    owner = await register(enrich_api)
    member = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    await add_member(enrich_api, workspace, owner, member, "member")
    created = await enrich_api.post(
        f"/api/v1/workspaces/{workspace}/credentials",
        json={"provider": "apollo", "label": "ours", "secret": secret},
        headers=owner.headers,
    )
    url = f"/api/v1/workspaces/{workspace}/credentials/{created.json()['data']['id']}/test"
    before = await balance(enrich_api, owner, workspace)
    response = await enrich_api.post(url, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["valid"] is valid
    assert response.json()["data"]["outcome"] == outcome
    assert secret not in response.text
    assert await balance(enrich_api, owner, workspace) == before, "testing a key spends no Cascade credits"
    audit = (await enrich_api.get(f"/api/v1/workspaces/{workspace}/audit-log", headers=owner.headers)).json()["data"]
    assert audit[0]["action"] == "credential.tested"
    assert secret not in str(audit)
    assert_error(await enrich_api.post(url, headers=member.headers), 403, "FORBIDDEN")


async def test_a_retry_with_the_same_idempotency_key_charges_once_and_creates_one_record(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    before = await balance(enrich_api, owner, workspace)
    body = {**MAYA, "fields": ["title"]}
    first = await enrich(enrich_api, owner, workspace, body, **{"Idempotency-Key": "retry-1"})
    again = await enrich(enrich_api, owner, workspace, body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["data"]["record"]["id"] == first.json()["data"]["record"]["id"]
    assert again.json()["data"]["creditsCharged"] == 0
    assert await balance(enrich_api, owner, workspace) == before - 1
    listed = await enrich_api.get(f"/api/v1/workspaces/{workspace}/records", headers=owner.headers)
    assert len(listed.json()["data"]) == 1


async def test_every_attempt_is_kept_with_the_record(enrich_api: Any) -> None:
    owner = await register(enrich_api)
    workspace = await create_workspace(enrich_api, owner)
    body = {"kind": "person", "inputs": {"email": "nobody@nowhere-known.com"}, "fields": ["title"]}
    data = (await enrich(enrich_api, owner, workspace, body)).json()["data"]
    async with enrich_api.app.state.dishka_container() as request:
        reader = await request.get(AttemptReader)
        kept = await reader.for_record(UUID(workspace), UUID(data["record"]["id"]), 10)
    answered = [(a["provider"], a["outcome"], a["credits"]) for a in data["attempts"]]
    assert sorted((k.attempt.provider, k.attempt.outcome, k.attempt.credits) for k in kept) == sorted(answered)
