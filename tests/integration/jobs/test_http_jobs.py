"""Enrichment jobs over HTTP, run by the inline orchestrator, on memory and on Postgres.

The same routes on real Temporal are tested in tests/integration/jobs/test_temporal_jobs.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import add_member, assert_error, create_workspace, register, server_sent_events
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders, running_fakes
from tests.support.enrichment import balance, on_backend, provider_settings
from tests.support.jobs import crowd, results, submit, wait_until_finished

ALL_KEYS = {"apollo": KEYS["apollo"], "hunter": KEYS["hunter"], "clearbit": KEYS["clearbit"]}


@pytest.fixture(params=["memory", "postgres"])
def job_settings(request: pytest.FixtureRequest, fakes: FakeProviders) -> dict[str, Any]:
    return on_backend(request, provider_settings(fakes, **ALL_KEYS) | {"job_batch_size": 7, "starter_credits": 1000})


@pytest.fixture
async def jobs_api(job_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(test_settings(**job_settings))) as client:
        yield client


async def test_a_job_enriches_every_record_and_charges_exactly_what_it_found(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    before = await balance(jobs_api, owner, workspace)
    body = {"records": [*crowd(20), {"kind": "person", "inputs": {"email": "maya.chen@northwind.io"}}],
            "fields": ["title", "firstName"]}  # fmt: skip
    response = await submit(jobs_api, owner, workspace, body)
    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["progress"]["total"] == 21
    # Per person: every provider that could supply title or firstName, once (apollo 1 + hunter 1 + clearbit 2).
    assert job["creditsReserved"] == 21 * 4

    done = await wait_until_finished(jobs_api, owner, workspace, job["id"])
    assert done["status"] == "completed", done
    assert done["progress"] == {"total": 21, "done": 21, "pending": 0, "enriched": 21, "partial": 0,
                                "notFound": 0, "failed": 0}  # fmt: skip
    assert done["creditsSpent"] == 21, "apollo had both fields for everyone: one credit each"
    assert await balance(jobs_api, owner, workspace) == before - 21, "the rest of the reservation went back"

    rows = await results(jobs_api, owner, workspace, job["id"])
    assert [r["position"] for r in rows] == list(range(21))
    assert all(r["state"] == "done" and r["outcome"] == "enriched" for r in rows)
    assert rows[0]["record"]["fields"]["firstName"] == "P0"
    assert rows[20]["record"]["fields"]["title"] == "VP Engineering"
    assert rows[20]["fieldsFound"] == ["firstName", "title"]
    listed = await jobs_api.get(f"/api/v1/workspaces/{workspace}/records", headers=owner.headers)
    assert len(listed.json()["data"]) == 21, "inline records are stored as the workspace's records"


async def test_a_job_over_existing_records_and_an_idempotent_retry(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    ids = []
    for record in crowd(3, prefix="known"):
        made = await jobs_api.post(f"/api/v1/workspaces/{workspace}/records", json=record, headers=owner.headers)
        ids.append(made.json()["data"]["id"])
    body = {"recordIds": ids, "fields": ["title"]}
    first = await submit(jobs_api, owner, workspace, body, **{"Idempotency-Key": "nightly-1"})
    again = await submit(jobs_api, owner, workspace, body, **{"Idempotency-Key": "nightly-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["data"]["id"] == again.json()["data"]["id"], "a retry returns the first job"
    other = await submit(jobs_api, owner, workspace, {**body, "fields": ["email"]}, **{"Idempotency-Key": "nightly-1"})
    assert_error(other, 409, "CONFLICT")

    done = await wait_until_finished(jobs_api, owner, workspace, first.json()["data"]["id"])
    assert done["status"] == "completed"
    listed = await jobs_api.get(f"/api/v1/workspaces/{workspace}/enrichment/jobs", headers=owner.headers)
    assert [j["id"] for j in listed.json()["data"]] == [done["id"]], "one job, not two"
    record = await jobs_api.get(f"/api/v1/workspaces/{workspace}/records/{ids[1]}", headers=owner.headers)
    assert record.json()["data"]["fields"]["title"] == "Staff Engineer"
    assert record.json()["data"]["status"] == "enriched"


async def test_mixed_outcomes_make_a_partially_completed_job(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    records = [
        {"kind": "person", "inputs": {"email": "daniel.okafor@globex-logistics.com"}},
        {"kind": "person", "inputs": {"email": "nobody@nowhere-known.com"}},  # every provider misses
        {"kind": "person", "inputs": {"email": "broken@anything.com"}},  # every provider fails: no answer
        {"kind": "company", "inputs": {"domain": "northwind.io"}},
    ]
    before = await balance(jobs_api, owner, workspace)
    response = await submit(jobs_api, owner, workspace, {"records": records, "fields": ["title", "industry"]})
    done = await wait_until_finished(jobs_api, owner, workspace, response.json()["data"]["id"])
    assert done["status"] == "partially_completed"
    progress = done["progress"]
    assert (progress["enriched"], progress["notFound"], progress["failed"]) == (2, 1, 1)
    assert await balance(jobs_api, owner, workspace) == before - done["creditsSpent"]
    rows = await results(jobs_api, owner, workspace, done["id"])
    assert [r["outcome"] for r in rows] == ["enriched", "not_found", "failed", "enriched"]
    assert rows[3]["record"]["fields"]["industry"] == "information technology and services"  # as Apollo writes it


async def test_a_job_nothing_could_pay_for_is_refused_with_402(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    available = await balance(jobs_api, owner, workspace)
    response = await submit(jobs_api, owner, workspace, {"records": crowd(available // 4 + 1), "fields": ["title"]})
    assert_error(response, 402, "INSUFFICIENT_CREDITS")
    listed = await jobs_api.get(f"/api/v1/workspaces/{workspace}/records", headers=owner.headers)
    assert listed.json()["data"] == [], "a refused job stores none of its records"
    assert await balance(jobs_api, owner, workspace) == available


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fields": ["title"]}, "records"),
        ({"records": [], "fields": ["title"]}, None),
        ({"records": crowd(1), "recordIds": ["018f0000-0000-7000-8000-000000000000"], "fields": ["title"]}, "records"),
        ({"recordIds": ["018f0000-0000-7000-8000-000000000000"] * 2, "fields": ["title"]}, "recordIds"),
        ({"records": crowd(1), "fields": ["industry"]}, "fields"),
        ({"records": crowd(1), "fields": ["title", "title"]}, "fields"),
        ({"records": crowd(1), "fields": ["shoeSize"]}, "fields"),
        ({"records": [{"kind": "person", "inputs": {}}], "fields": ["title"]}, "records[0]"),
        ({"records": crowd(1), "fields": ["title"], "providers": ["acme"]}, "providers"),
        ({"records": crowd(10_001), "fields": ["title"]}, None),
    ],
)
async def test_bad_jobs_are_422_and_store_nothing(jobs_api: Any, body: dict[str, Any], field: str | None) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    error = assert_error(await submit(jobs_api, owner, workspace, body), 422, "VALIDATION_FAILED")
    if field:
        assert field in [d["field"] for d in error["details"]], error
    listed = await jobs_api.get(f"/api/v1/workspaces/{workspace}/enrichment/jobs", headers=owner.headers)
    assert listed.json()["data"] == []


async def test_a_job_of_unknown_records_is_not_found(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    body = {"recordIds": ["018f0000-0000-7000-8000-000000000000"], "fields": ["title"]}
    assert_error(await submit(jobs_api, owner, workspace, body), 404, "NOT_FOUND")


async def test_viewers_read_jobs_but_only_members_run_and_cancel_them(jobs_api: Any) -> None:
    owner, viewer = await register(jobs_api, "owner"), await register(jobs_api, "viewer")
    workspace = await create_workspace(jobs_api, owner)
    await add_member(jobs_api, workspace, owner, viewer, "viewer")
    assert_error(
        await submit(jobs_api, viewer, workspace, {"records": crowd(1), "fields": ["title"]}), 403, "FORBIDDEN"
    )
    job = (await submit(jobs_api, owner, workspace, {"records": crowd(1), "fields": ["title"]})).json()["data"]
    seen = await jobs_api.get(f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}", headers=viewer.headers)
    assert seen.status_code == 200
    cancel = await jobs_api.post(
        f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}/cancel", headers=viewer.headers
    )
    assert_error(cancel, 403, "FORBIDDEN")


async def test_cancel_stops_provider_calls_and_releases_the_rest(jobs_api: Any, job_settings: dict[str, Any]) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    before = await balance(jobs_api, owner, workspace)
    # `slow` answers after 3 s: the job is still running when it is cancelled.
    records = [{"kind": "person", "inputs": {"email": "slow@anything.com"}}, *crowd(200, prefix="c")]
    job = (await submit(jobs_api, owner, workspace, {"records": records, "fields": ["title"]})).json()["data"]
    url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}"
    cancel = await jobs_api.post(f"{url}/cancel", headers=owner.headers)
    assert cancel.status_code == 202, cancel.text
    assert cancel.json()["data"]["cancelRequested"] is True
    done = await wait_until_finished(jobs_api, owner, workspace, job["id"])
    assert done["status"] == "cancelled"
    assert done["progress"]["done"] < 201, "records after the cancel were never enriched"
    assert await balance(jobs_api, owner, workspace) == before - done["creditsSpent"], "nothing stays reserved"
    again = await jobs_api.post(f"{url}/cancel", headers=owner.headers)
    assert again.status_code == 202
    assert again.json()["data"]["status"] == "cancelled"


async def test_cancelling_a_finished_job_is_a_conflict(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    job = (await submit(jobs_api, owner, workspace, {"records": crowd(2), "fields": ["title"]})).json()["data"]
    await wait_until_finished(jobs_api, owner, workspace, job["id"])
    cancel = await jobs_api.post(
        f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}/cancel", headers=owner.headers
    )
    assert_error(cancel, 409, "CONFLICT")


async def test_the_event_stream_reports_progress_and_ends_with_the_job(jobs_api: Any) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    job = (await submit(jobs_api, owner, workspace, {"records": crowd(30), "fields": ["title"]})).json()["data"]
    url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}/events"
    events = await server_sent_events(jobs_api, url, owner.headers)
    assert events[-1][0] == "end", "the stream ends when the job does"
    final = events[-1][1]
    assert final["status"] == "completed"
    assert final["progress"]["done"] == 30
    assert final["creditsSpent"] == 30
    done_counts = [data["progress"]["done"] for _, data in events]
    assert done_counts == sorted(done_counts), "progress only moves forward"


async def test_another_workspace_cannot_see_stream_or_cancel_a_job(jobs_api: Any) -> None:
    owner, stranger = await register(jobs_api, "owner"), await register(jobs_api, "stranger")
    workspace = await create_workspace(jobs_api, owner)
    theirs = await create_workspace(jobs_api, stranger)
    job = (await submit(jobs_api, owner, workspace, {"records": crowd(2), "fields": ["title"]})).json()["data"]
    for suffix in ("", "/records", "/events"):
        assert_error(
            await jobs_api.get(f"/api/v1/workspaces/{theirs}/enrichment/jobs/{job['id']}{suffix}",
                               headers=stranger.headers), 404, "NOT_FOUND")  # fmt: skip
    assert_error(
        await jobs_api.post(f"/api/v1/workspaces/{theirs}/enrichment/jobs/{job['id']}/cancel",
                            headers=stranger.headers), 404, "NOT_FOUND")  # fmt: skip
    done = await wait_until_finished(jobs_api, owner, workspace, job["id"])
    assert done["status"] == "completed"


async def test_a_job_left_running_by_a_stopped_api_is_finished_when_it_starts_again(
    migrated_url: str, clean_redis: str, clean_pool: Any
) -> None:
    with running_fakes(slow_seconds=3, apollo_latency_seconds=0.1) as slow:
        settings = test_settings(
            profile="local",
            database_url=migrated_url,
            redis_url=clean_redis,
            job_batch_size=10,
            starter_credits=1000,
            **provider_settings(slow, **ALL_KEYS),
        )
        async with AsyncTestClient(app=create_app(settings)) as first:
            owner = await register(first)
            workspace = await create_workspace(first, owner)
            before = await balance(first, owner, workspace)
            job = await submit(first, owner, workspace, {"records": crowd(150, prefix="resume"), "fields": ["title"]})
            job_id = job.json()["data"]["id"]
            url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job_id}"
            for _ in range(200):
                if (await first.get(url, headers=owner.headers)).json()["data"]["progress"]["done"] >= 20:
                    break
                await asyncio.sleep(0.02)
        # the first API stopped mid-job: its run was cancelled, the job stays running
        async with AsyncTestClient(app=create_app(settings)) as second:
            stopped = (await second.get(url, headers=owner.headers)).json()["data"]
            assert stopped["status"] == "running"
            assert 20 <= stopped["progress"]["done"] < 150
            done = await wait_until_finished(second, owner, workspace, job_id)
            assert done["status"] == "completed"
            assert done["progress"]["enriched"] == 150
            assert done["creditsSpent"] == 150, "every record paid once, the resumed ones too"
            assert await balance(second, owner, workspace) == before - 150


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"fields": ["title"]}, "give records (new ones) or recordIds (stored ones)"),
        (
            {"records": crowd(1), "recordIds": ["018f0000-0000-7000-8000-000000000000"], "fields": ["title"]},
            "give records or recordIds, not both",
        ),
    ],
)
async def test_a_job_without_records_or_with_both_kinds_says_which(
    jobs_api: Any, body: dict[str, Any], says: str
) -> None:
    owner = await register(jobs_api)
    workspace = await create_workspace(jobs_api, owner)
    error = assert_error(await submit(jobs_api, owner, workspace, body), 422, "VALIDATION_FAILED")
    assert [d["message"] for d in error["details"] if d["field"] == "records"] == [says]
