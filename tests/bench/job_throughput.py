"""P1: enrichment job throughput through the real worker path, against the Little's-law bound.

    make bench   (or: python -m tests.services -- python -m tests.bench.job_throughput)

A job of N distinct people runs on Temporal (the dev server of `tests.services`)
and PostgreSQL, worked by a real `cascade worker` process, while the fake
Apollo answers every lookup after a fixed latency L (so each record costs one
provider call). With C records in flight, no system can beat C / L records
per second (Little's law); the ratio to that bound is the figure (goal >= 0.8
at L = 100 ms, C = 32). At L = 0 the figure is the CPU ceiling of this
machine's worker path. Records/s are counted from the job's start to its end
(the timestamps the job itself keeps). Prints one JSON line per run.

BENCH_WORKERS=2 runs two `cascade worker` processes on the task queue (how a
worker tier scales out); BENCH_JOB_RECORDS and BENCH_JOB_LATENCIES change the
job and the latencies.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import psycopg
from litestar.testing import AsyncTestClient

from adapters.postgres.migrator import migrate
from entrypoints.cli.processes import free_port
from entrypoints.http.app import create_app
from entrypoints.wiring.settings import Settings, env_name, flat
from tests.api import create_workspace, register
from tests.conftest import MIGRATIONS, create_database, test_settings
from tests.fakes.harness import KEYS, running_fakes
from tests.support.enrichment import provider_settings
from tests.support.jobs import wait_until_finished

CONCURRENCY = 32
RECORDS = int(os.environ.get("BENCH_JOB_RECORDS", "4000"))
LATENCIES = [float(x) for x in os.environ.get("BENCH_JOB_LATENCIES", "0.1,0").split(",")]
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))  # `cascade worker` processes on the task queue
TUNING = {  # the defaults of Settings unless given
    name: int(os.environ[f"BENCH_{name.upper()}"])
    for name in ("job_batch_size", "job_parallel_batches")
    if f"BENCH_{name.upper()}" in os.environ
}


def worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {env_name(name): str(value) for name, value in flat(settings).items()}
    env[env_name("log_level")] = "WARNING"
    return subprocess.Popen([sys.executable, "-m", "entrypoints.cli.main", "worker"], env=env)


FAKE_APOLLO = """
import sys, uvicorn
from tests.fakes import apollo
uvicorn.run(apollo.create_app(latency_seconds=float(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


@contextmanager
def apollo_process(latency: float) -> Iterator[str]:
    """The fake Apollo in a process of its own, so that its latency stays L whatever this process does."""
    with server_process(FAKE_APOLLO, str(latency)) as url:
        yield url


@contextmanager
def server_process(script: str, *args: str) -> Iterator[str]:
    """Run `script` (which serves on 127.0.0.1 at the port given as its last argument) in its own process."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", script, *args, str(port)])
    try:
        for _ in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def run(latency: float, records: int, database_url: str) -> dict[str, Any]:
    with running_fakes(slow_seconds=3) as fakes, apollo_process(latency) as apollo_url:
        fakes = replace(fakes, apollo=apollo_url)
        settings = test_settings(
            profile="local",
            database_url=database_url,
            redis_url=os.environ["TEST_REDIS_URL"],
            temporal_address=os.environ["TEST_TEMPORAL_ADDRESS"],
            temporal_task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            starter_credits=records * 4,
            job_concurrency=CONCURRENCY,
            **TUNING,
            database_pool_max=CONCURRENCY + 8,
            log_level="WARNING",
            **provider_settings(fakes, apollo=KEYS["apollo"], hunter=KEYS["hunter"], clearbit=KEYS["clearbit"]),
        )
        processes = [worker(settings) for _ in range(WORKERS)]
        try:
            async with AsyncTestClient(app=create_app(settings)) as api:
                owner = await register(api, f"bench-{uuid.uuid4().hex[:6]}")
                workspace = await create_workspace(api, owner)
                tag = uuid.uuid4().hex[:6]
                people = [{"kind": "person", "inputs": {"email": f"b{tag}{i}@crowd.example"}} for i in range(records)]
                url = f"/api/v1/workspaces/{workspace}/enrichment/jobs"
                submitted = await api.post(url, json={"records": people, "fields": ["title"]}, headers=owner.headers)
                assert submitted.status_code == 202, submitted.text
                # polled slowly: this process also serves the fake Apollo, whose latency must stay L
                job = await wait_until_finished(
                    api, owner, workspace, submitted.json()["data"]["id"], within=600, every=1.0
                )
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(30)
    assert job["status"] == "completed", job
    assert job["progress"]["enriched"] == records
    assert job["creditsSpent"] == records, "one charge per record, no more"
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        row = await (
            await conn.execute(
                "SELECT avg(latency_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)"
                " FROM enrichment_attempts WHERE run_id = %s",
                (f"job:{job['id']}",),
            )
        ).fetchone()
    assert row is not None
    seconds = (datetime.fromisoformat(job["finishedAt"]) - datetime.fromisoformat(job["startedAt"])).total_seconds()
    rate = records / seconds
    result: dict[str, Any] = {
        "benchmark": "P1 job throughput",
        "latency_ms": latency * 1000,
        "concurrency": CONCURRENCY,
        "workers": WORKERS,
        "records": records,
        "seconds": round(seconds, 2),
        "records_per_second": round(rate, 1),
        "provider_latency_ms_mean": round(float(row[0]), 1),
        "provider_latency_ms_p50": round(float(row[1]), 1),
    }
    if latency:
        bound = CONCURRENCY / latency
        result |= {"littles_law_bound": bound, "ratio": round(rate / bound, 3), "goal": 0.8}
    return result


async def main() -> None:
    database_url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench_jobs")
    await migrate(database_url, MIGRATIONS)
    for latency in LATENCIES:
        print(json.dumps(await run(latency, RECORDS, database_url) | TUNING), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
