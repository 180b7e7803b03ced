"""Webhook deliveries per second through the real worker path, against the Little's-law bound.

    make bench   (or: python -m tests.services -- python -m tests.bench.webhook_throughput)

N events are committed to the outbox of a workspace with one subscription; a real `cascade worker` process
(Temporal dev server, PostgreSQL) publishes them and delivers each to a receiver in its own process that
answers 200 after a fixed latency L. With C deliveries in flight (CASCADE_WEBHOOK_CONCURRENCY) nothing beats
C / L deliveries per second; the ratio to that bound is the figure. At L = 0 the figure is the CPU ceiling of
the path: publish, claim, sign, POST through the SSRF guard, record. Deliveries/s are counted from the first
delivery's creation to the last one's success (the times the deliveries themselves keep).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
from litestar.testing import AsyncTestClient

from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from domain.kernel.events import Event, EventType
from entrypoints.http.app import create_app
from tests.api import create_workspace, register
from tests.bench.job_throughput import server_process, worker
from tests.conftest import MIGRATIONS, create_database, test_settings

CONCURRENCY = 16
EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", "3000"))
LATENCIES = [float(x) for x in os.environ.get("BENCH_WEBHOOK_LATENCIES", "0.05,0").split(",")]

RECEIVER = """
import asyncio, sys, uvicorn
latency = float(sys.argv[1])
async def app(scope, receive, send):
    if scope["type"] != "http":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    while (await receive()).get("more_body"):
        pass
    if latency:
        await asyncio.sleep(latency)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


async def add_events(database_url: str, workspace: UUID, count: int) -> None:
    pool = await open_pool(database_url, min_size=1, max_size=2, acquire_timeout=10)
    start = datetime.now(UTC)
    try:
        async with PostgresUnitOfWork(pool) as uow:
            await uow.events.add(
                [
                    Event(
                        id=uuid4(),
                        workspace_id=workspace,
                        type=EventType.RECORD_ENRICHED,
                        data={"recordId": str(uuid4()), "fields": {"title": "VP Growth"}},
                        occurred_at=start + timedelta(microseconds=n),
                    )
                    for n in range(count)
                ]
            )
            await uow.commit()
    finally:
        await pool.close()


async def delivered(database_url: str, workspace: str) -> tuple[int, float]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        row = await (
            await conn.execute(
                "SELECT count(*) FILTER (WHERE status = 'succeeded'),"
                " extract(epoch FROM max(finished_at) - min(created_at))"
                " FROM webhook_deliveries WHERE workspace_id = %s",
                (workspace,),
            )
        ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1] or 0)


async def run(latency: float, events: int, database_url: str) -> dict[str, Any]:
    with server_process(RECEIVER, str(latency)) as receiver_url:
        settings = test_settings(
            profile="local",
            database_url=database_url,
            redis_url=os.environ["TEST_REDIS_URL"],
            temporal_address=os.environ["TEST_TEMPORAL_ADDRESS"],
            temporal_task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            network_allowlist="127.0.0.1/32",
            webhook_concurrency=CONCURRENCY,
            webhook_poll_seconds=0.2,
            log_level="WARNING",
        )
        async with AsyncTestClient(app=create_app(settings)) as api:
            owner = await register(api, f"bench-{uuid.uuid4().hex[:6]}")
            workspace = await create_workspace(api, owner)
            hook = await api.post(
                f"/api/v1/workspaces/{workspace}/webhooks",
                json={"url": f"{receiver_url}/hook", "events": ["record.enriched"]},
                headers=owner.headers,
            )
            assert hook.status_code == 201, hook.text
        await add_events(database_url, UUID(workspace), events)
        process = worker(settings)
        try:
            deadline = asyncio.get_running_loop().time() + 600
            while (done := await delivered(database_url, workspace))[0] < events:
                assert asyncio.get_running_loop().time() < deadline, f"only {done[0]} of {events} delivered"
                assert process.poll() is None, "the worker died"
                await asyncio.sleep(0.5)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    count, seconds = done
    rate = count / seconds
    result: dict[str, Any] = {
        "benchmark": "webhook deliveries",
        "latency_ms": latency * 1000,
        "concurrency": CONCURRENCY,
        "events": events,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(rate, 1),
    }
    if latency:
        bound = CONCURRENCY / latency
        result |= {"littles_law_bound": bound, "ratio": round(rate / bound, 3)}
    return result


async def main() -> None:
    database_url = await create_database(os.environ["TEST_POSTGRES_URL"], "cascade_bench_webhooks")
    await migrate(database_url, MIGRATIONS)
    for latency in LATENCIES:
        print(json.dumps(await run(latency, EVENTS, database_url)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
