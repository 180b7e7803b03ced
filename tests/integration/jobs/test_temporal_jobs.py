"""Jobs on real Temporal (the dev server of `make test`), real PostgreSQL and Redis, and the fake providers.

The API submits; a worker (in this process, or `cascade worker` processes for
QUALITY.md R2) runs the workflow and its activities.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from temporalio.client import Client

from adapters.temporal.orchestrator import workflow_id
from entrypoints.http.app import create_app
from entrypoints.wiring.settings import Settings, replaced
from tests.api import Account, create_workspace, register
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, FakeProviders, running_fakes
from tests.support.enrichment import balance, provider_settings
from tests.support.jobs import crowd, results, submit, wait_until_finished
from tests.support.temporal import in_process_worker, worker_process


@pytest.fixture(scope="module")
def slow_fakes() -> Iterator[FakeProviders]:
    """Apollo answers after 50 ms: a job of a few hundred people takes seconds, long enough to kill a worker."""
    with running_fakes(slow_seconds=3, apollo_latency_seconds=0.05) as running:
        yield running


@pytest.fixture
def temporal_settings(
    slow_fakes: FakeProviders, migrated_url: str, clean_redis: str, clean_pool: Any, temporal_address: str
) -> Settings:
    keys = {"apollo": KEYS["apollo"], "hunter": KEYS["hunter"], "clearbit": KEYS["clearbit"]}
    return test_settings(
        profile="local",
        database_url=migrated_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        temporal_task_queue=f"enrichment-{uuid.uuid4().hex[:8]}",  # this test's workers only
        starter_credits=5000,
        job_batch_size=50,
        job_heartbeat_timeout_seconds=2,
        **provider_settings(slow_fakes, **keys),
    )


@pytest.fixture
async def api(temporal_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(temporal_settings)) as client:
        yield client


async def test_a_job_runs_on_temporal_end_to_end(api: Any, temporal_settings: Settings) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    response = await submit(api, owner, workspace, {"records": crowd(260), "fields": ["title"]})
    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["status"] == "queued", "no worker yet: the job waits in Temporal's queue"
    async with in_process_worker(temporal_settings):
        done = await wait_until_finished(api, owner, workspace, job["id"], within=60)
    assert done["status"] == "completed", done
    assert done["progress"]["enriched"] == 260
    assert done["creditsSpent"] == 260
    assert await balance(api, owner, workspace) == before - 260
    rows = await results(api, owner, workspace, job["id"])
    assert {r["record"]["fields"]["title"] for r in rows} == {"Staff Engineer"}


async def test_a_job_cancelled_on_temporal_stops_and_releases(api: Any, temporal_settings: Settings) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    job = (await submit(api, owner, workspace, {"records": crowd(1000), "fields": ["title"]})).json()["data"]
    async with in_process_worker(temporal_settings):
        url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}"
        await done_at_least(api, url, owner, 50)
        assert (await api.post(f"{url}/cancel", headers=owner.headers)).status_code == 202
        done = await wait_until_finished(api, owner, workspace, job["id"], within=30)
    assert done["status"] == "cancelled"
    assert 50 <= done["progress"]["done"] < 1000
    assert await balance(api, owner, workspace) == before - done["creditsSpent"]


async def done_at_least(
    api: Any, url: str, owner: Account, count: int, alive: subprocess.Popen[bytes] | None = None
) -> int:
    """Wait until the job has done `count` records; answer how many it has done."""
    for _ in range(1200):
        done = int((await api.get(url, headers=owner.headers)).json()["data"]["progress"]["done"])
        if done >= count:
            return done
        assert alive is None or alive.poll() is None, "the worker died on its own"
        await asyncio.sleep(0.05)
    raise AssertionError(f"the job never did {count} records")


async def charges_by_record(database_url: str, workspace: str, job_id: str) -> dict[str, int]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (
            await conn.execute(
                "SELECT idempotency_key FROM credit_ledger WHERE workspace_id = %s AND kind = 'charge'",
                (workspace,),
            )
        ).fetchall()
    counts: dict[str, int] = {}
    for (key,) in rows:
        assert key.startswith(f"job:{job_id}:"), key
        record = key.split(":")[2]
        counts[record] = counts.get(record, 0) + 1
    return counts


async def test_r2_a_worker_killed_mid_job_is_replaced_and_every_record_is_charged_once(
    api: Any, temporal_settings: Settings
) -> None:
    owner: Account = await register(api)
    workspace = await create_workspace(api, owner)
    before = await balance(api, owner, workspace)
    total = 600
    job = (await submit(api, owner, workspace, {"records": crowd(total, prefix="r2x"), "fields": ["title"]})).json()
    job_id = job["data"]["id"]
    url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job_id}"

    first = worker_process(temporal_settings)
    try:
        done = await done_at_least(api, url, owner, 100, alive=first)
        first.send_signal(signal.SIGKILL)  # mid-job: batches in flight, records half enriched
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert done < total, "the worker was killed before the job could finish"

    second = worker_process(temporal_settings)
    try:
        final = await wait_until_finished(api, owner, workspace, job_id, within=90)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert final["status"] == "completed", final
    assert final["progress"]["enriched"] == total
    charges = await charges_by_record(temporal_settings.database.url, workspace, job_id)
    rows = await results(api, owner, workspace, job_id)
    assert set(charges) == {r["recordId"] for r in rows}, "every record was charged"
    assert set(charges.values()) == {1}, "and charged exactly once"
    assert final["creditsSpent"] == total
    assert await balance(api, owner, workspace) == before - total, "nothing stays reserved, nothing paid twice"


async def test_a_long_job_continues_as_new_and_still_finishes_once(api: Any, temporal_settings: Settings) -> None:
    settings = replaced(temporal_settings, job_batch_size=1)  # 45 batches: past one run's 40
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    job = (await submit(api, owner, workspace, {"records": crowd(45, prefix="long"), "fields": ["title"]})).json()
    async with in_process_worker(settings):
        done = await wait_until_finished(api, owner, workspace, job["data"]["id"], within=90)
    assert done["status"] == "completed"
    assert done["creditsSpent"] == 45
    client = await Client.connect(settings.temporal.address)
    query = f"WorkflowId = '{workflow_id(UUID(done['id']))}'"
    for _ in range(50):  # the visibility store catches up within moments
        runs = [run async for run in client.list_workflows(query)]
        if len(runs) >= 2:
            break
        await asyncio.sleep(0.1)
    assert len(runs) == 2, "one run of 40 batches, continued as new for the last 5"
