"""A "pending" answer (Clearbit 202: lookup queued; Hunter 202: verification running) is asked again.

With backoff, within a deadline: the single-record route and jobs (inline, on memory and on Postgres;
and once on Temporal) against the fake providers, whose `pending<N>@...` inputs answer 202 N times,
then the record. A pending answer costs nothing and is never cached; the final one is charged once
and cached; every ask is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.wiring.settings import Settings
from ports.enrichment import AttemptReader
from tests.api import create_workspace, register
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders
from tests.support.enrichment import balance, enrich, on_backend, provider_settings
from tests.support.jobs import crowd, results, submit, wait_until_finished
from tests.support.temporal import in_process_worker

# The attempts kept for a person Clearbit and Hunter each answer "pending" once: every ask, the final answers paid.
PENDING_ONCE_ATTEMPTS = [
    ("apollo", "miss", 0),
    ("clearbit", "hit", 2),
    ("clearbit", "pending", 0),
    ("hunter", "hit", 1),
    ("hunter", "pending", 0),
]
ALL_KEYS = {"apollo": KEYS["apollo"], "hunter": KEYS["hunter"], "clearbit": KEYS["clearbit"]}
# Asked again after 50 ms, then 100 ms, then every 200 ms, for 1.5 s.
QUICK_PATIENCE = {
    "pending_first_wait_seconds": 0.05,
    "pending_max_wait_seconds": 0.2,
    "pending_enrich_deadline_seconds": 1.5,
    "pending_job_deadline_seconds": 1.5,
}


@pytest.fixture(params=["memory", "postgres"])
def patient_settings(request: pytest.FixtureRequest, fakes: FakeProviders) -> dict[str, Any]:
    return on_backend(request, provider_settings(fakes, **ALL_KEYS) | QUICK_PATIENCE | {"starter_credits": 1000})


@pytest.fixture
async def api(patient_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(test_settings(**patient_settings))) as client:
        yield client


def queued(trigger: str, domain: str) -> dict[str, Any]:
    """A new person whose email is a `pending<N>` trigger, at a domain of its own: the fakes count the asks
    of each email over the module, across both backends."""
    return {"kind": "person", "inputs": {"email": f"{trigger}@{domain}-{uuid4().hex[:8]}.com"}}


def asked(attempts: list[dict[str, Any]]) -> list[tuple[str, str, int, bool]]:
    return [(a["provider"], a["outcome"], a["credits"], a["cached"]) for a in attempts]


async def kept_attempts(client: Any, workspace: str, record_id: str) -> list[tuple[str, str, int]]:
    """The attempts stored with the record, sorted (those of one run are stored at one time)."""
    async with client.app.state.dishka_container() as request:
        reader = await request.get(AttemptReader)
        kept = await reader.for_record(UUID(workspace), UUID(record_id), 50)
    return sorted((k.attempt.provider, k.attempt.outcome, k.attempt.credits) for k in kept)


async def test_clearbit_queued_then_found_is_asked_again_charged_once_and_cached(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    body = {**queued("pending1", "queued-once"), "fields": ["title"]}

    first = await enrich(api, owner, workspace, body)

    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert asked(data["attempts"]) == [
        ("apollo", "miss", 0, False),
        ("clearbit", "pending", 0, False),
        ("clearbit", "hit", 2, False),
    ]
    assert data["attempts"][2]["fields"] == ["title"]
    assert data["record"]["status"] == "enriched"
    assert data["record"]["fields"]["title"] == "Account Executive"
    assert data["record"]["provenance"]["title"]["provider"] == "clearbit"
    assert data["creditsCharged"] == 2
    assert await balance(api, owner, workspace) == before - 2, "the final answer is paid once, the 202 is free"
    assert await kept_attempts(api, workspace, data["record"]["id"]) == [
        ("apollo", "miss", 0),
        ("clearbit", "hit", 2),
        ("clearbit", "pending", 0),
    ]

    again = (await enrich(api, owner, workspace, body)).json()["data"]
    assert asked(again["attempts"]) == [("apollo", "miss", 0, True), ("clearbit", "hit", 0, True)]
    assert again["record"]["fields"]["title"] == "Account Executive"
    assert await balance(api, owner, workspace) == before - 2, "the repeat is answered from the cache"


async def test_a_hunter_verification_still_running_is_asked_again(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    body = {**queued("pending1", "verifying-once"), "fields": ["emailStatus"]}

    data = (await enrich(api, owner, workspace, body)).json()["data"]

    assert asked(data["attempts"]) == [
        ("apollo", "miss", 0, False),
        ("hunter", "pending", 0, False),
        ("hunter", "hit", 1, False),
    ]
    assert data["record"]["fields"]["emailStatus"] == "valid"
    assert data["record"]["status"] == "enriched"
    assert await balance(api, owner, workspace) == before - 1
    again = (await enrich(api, owner, workspace, body)).json()["data"]
    assert asked(again["attempts"]) == [("apollo", "miss", 0, True), ("hunter", "hit", 0, True)]
    assert await balance(api, owner, workspace) == before - 1


async def test_other_fields_are_asked_for_while_a_pending_lookup_waits(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    body = {**queued("pending1", "two-at-once"), "fields": ["title", "emailStatus"]}

    data = (await enrich(api, owner, workspace, body)).json()["data"]

    assert asked(data["attempts"]) == [
        ("apollo", "miss", 0, False),
        ("hunter", "pending", 0, False),
        ("clearbit", "pending", 0, False),  # asked for the title while Hunter was still verifying
        ("hunter", "hit", 1, False),
        ("clearbit", "hit", 2, False),
    ]
    assert data["record"]["fields"]["emailStatus"] == "valid"
    assert data["record"]["fields"]["title"] == "Account Executive"
    assert data["creditsCharged"] == 3


async def test_a_lookup_pending_past_the_deadline_is_not_found_and_costs_nothing(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    body = {**queued("pending999", "queued-forever"), "fields": ["title"], "providers": ["clearbit"]}

    data = (await enrich(api, owner, workspace, body)).json()["data"]

    outcomes = [(a["provider"], a["outcome"], a["credits"]) for a in data["attempts"]]
    # asked at 0, then 50 ms, 150 ms, 350 ms and every 200 ms after, while within 1.5 s of the start
    assert 3 <= len(outcomes) <= 9, outcomes
    assert set(outcomes) == {("clearbit", "pending", 0)}
    assert data["record"]["status"] == "not_found"
    assert data["creditsCharged"] == 0
    assert await balance(api, owner, workspace) == before, "the reservation went back whole"
    assert len(await kept_attempts(api, workspace, data["record"]["id"])) == len(outcomes)
    again = (await enrich(api, owner, workspace, body)).json()["data"]
    assert again["attempts"][0]["cached"] is False, "a pending answer is never cached"


async def test_a_job_asks_pending_lookups_again_charges_once_and_caches(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    # Hunter verifies the email (emailStatus) and Clearbit finds the person (title): each answers 202 once.
    records = [queued("pending1", "queued-in-a-job"), *crowd(3, prefix="beside")]
    job = (await submit(api, owner, workspace, {"records": records, "fields": ["title", "emailStatus"]})).json()

    done = await wait_until_finished(api, owner, workspace, job["data"]["id"])

    assert done["status"] == "completed", done
    assert done["progress"]["enriched"] == 4
    rows = await results(api, owner, workspace, done["id"])
    waited = rows[0]
    assert waited["outcome"] == "enriched"
    assert waited["record"]["fields"]["title"] == "Account Executive"
    assert waited["record"]["fields"]["emailStatus"] == "valid"
    assert await kept_attempts(api, workspace, waited["record"]["id"]) == PENDING_ONCE_ATTEMPTS
    assert waited["credits"] == 3
    # the crowd: Apollo has title and emailStatus, one credit each
    assert done["creditsSpent"] == 3 + 3
    assert await balance(api, owner, workspace) == before - 6

    repeat = await submit(api, owner, workspace, {"records": records[:1], "fields": ["title", "emailStatus"]})
    again = await wait_until_finished(api, owner, workspace, repeat.json()["data"]["id"])
    assert again["progress"]["enriched"] == 1
    assert again["creditsSpent"] == 0, "the final answers were cached"
    [row] = await results(api, owner, workspace, again["id"])
    assert await kept_attempts(api, workspace, row["record"]["id"]) == [
        ("apollo", "miss", 0),
        ("clearbit", "hit", 0),
        ("hunter", "hit", 0),
    ]


async def test_a_job_lookup_pending_past_the_deadline_is_not_found_and_costs_nothing(api: Any) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    body = {"records": [queued("pending999", "stuck-in-a-job")], "fields": ["title"], "providers": ["clearbit"]}

    done = await wait_until_finished(
        api, owner, workspace, (await submit(api, owner, workspace, body)).json()["data"]["id"]
    )

    assert done["status"] == "completed", "a provider that kept working on it answered: not found, not failed"
    assert done["progress"]["notFound"] == 1
    assert done["creditsSpent"] == 0
    assert await balance(api, owner, workspace) == before
    [row] = await results(api, owner, workspace, done["id"])
    kept = await kept_attempts(api, workspace, row["record"]["id"])
    assert 3 <= len(kept) <= 9, kept
    assert set(kept) == {("clearbit", "pending", 0)}


@pytest.fixture
async def one_slot_api(fakes: FakeProviders) -> AsyncIterator[AsyncTestClient[Any]]:
    """One record asking providers at a time, and a pending lookup asked again only after 30 s."""
    settings = provider_settings(fakes, **ALL_KEYS) | {
        "job_concurrency": 1,
        "job_parallel_batches": 1,
        "pending_first_wait_seconds": 30,
        "pending_max_wait_seconds": 30,
        "pending_job_deadline_seconds": 60,
    }
    async with AsyncTestClient(app=create_app(test_settings(**settings))) as client:
        yield client


async def test_a_record_waiting_to_ask_again_frees_its_slot_and_a_cancel_ends_the_wait(one_slot_api: Any) -> None:
    api = one_slot_api
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    records = [queued("pending999", "waits-for-its-turn"), *crowd(5, prefix="slot")]
    job = (await submit(api, owner, workspace, {"records": records, "fields": ["title"]})).json()["data"]
    url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}"

    deadline = asyncio.get_running_loop().time() + 20
    while True:  # the first record waits 30 s to ask Clearbit again; the others go on meanwhile
        seen = (await api.get(url, headers=owner.headers)).json()["data"]
        if seen["progress"]["done"] == 5:
            break
        assert seen["status"] == "running", seen
        assert asyncio.get_running_loop().time() < deadline, seen
        await asyncio.sleep(0.05)
    assert seen["status"] == "running", "the waiting record is not done"

    assert (await api.post(f"{url}/cancel", headers=owner.headers)).status_code == 202
    done = await wait_until_finished(api, owner, workspace, job["id"], within=10)

    assert done["status"] == "cancelled"
    assert done["progress"]["done"] == 6, "the waiting record was saved as it stood"
    rows = await results(api, owner, workspace, job["id"])
    assert rows[0]["outcome"] == "not_found"
    assert await kept_attempts(api, workspace, rows[0]["record"]["id"]) == [
        ("apollo", "miss", 0),
        ("clearbit", "pending", 0),
    ]
    assert await balance(api, owner, workspace) == before - 5


@pytest.fixture
def temporal_settings(
    fakes: FakeProviders, migrated_url: str, clean_redis: str, clean_pool: Any, temporal_address: str
) -> Settings:
    return test_settings(
        profile="local",
        database_url=migrated_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        temporal_task_queue=f"enrichment-{uuid4().hex[:8]}",  # this test's workers only
        **provider_settings(fakes, **ALL_KEYS),
        **QUICK_PATIENCE,
    )


async def test_a_job_on_temporal_asks_pending_lookups_again(temporal_settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(temporal_settings)) as api:
        owner = await register(api)
        workspace = await create_workspace(api, owner)
        records = [queued("pending1", "queued-on-temporal"), *crowd(3, prefix="temporal")]
        job = (await submit(api, owner, workspace, {"records": records, "fields": ["title", "emailStatus"]})).json()
        async with in_process_worker(temporal_settings):
            done = await wait_until_finished(api, owner, workspace, job["data"]["id"], within=60)

        assert done["status"] == "completed", done
        assert done["progress"]["enriched"] == 4
        assert done["creditsSpent"] == 3 + 3
        waited = (await results(api, owner, workspace, done["id"]))[0]
        assert waited["record"]["fields"]["title"] == "Account Executive"
        assert await kept_attempts(api, workspace, waited["record"]["id"]) == PENDING_ONCE_ATTEMPTS
