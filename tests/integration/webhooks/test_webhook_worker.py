"""Webhooks delivered by `cascade worker` processes on real Temporal and PostgreSQL.

A worker is SIGKILLed while deliveries are in flight; another takes over the dispatcher, and the receiver
ends up with exactly the outbox's events — each under one delivery id (those in flight at the kill may come
twice, which the id lets a receiver drop).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.unit_of_work import PostgresUnitOfWork
from domain.kernel.events import Event, EventType
from entrypoints.http.app import create_app
from entrypoints.wiring.settings import Settings
from tests.api import create_workspace, register
from tests.conftest import test_settings
from tests.fakes.receiver import Receiver, running_receiver
from tests.support.temporal import worker_process

EVENTS = 40


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def worker_settings(migrated_url: str, clean_redis: str, clean_pool: Any, temporal_address: str) -> Settings:
    return test_settings(
        profile="local",
        database_url=migrated_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        temporal_task_queue=f"webhooks-{uuid.uuid4().hex[:8]}",  # this test's workers only
        job_heartbeat_timeout_seconds=2,
        network_allowlist="127.0.0.1/32",
        webhook_timeout_seconds=2,
        webhook_lease_seconds=3,
        webhook_poll_seconds=0.05,
        webhook_concurrency=4,
    )


@pytest.fixture
async def api(worker_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(worker_settings)) as client:
        yield client


async def outbox_events(pool: AsyncConnectionPool, workspace: UUID, count: int) -> set[str]:
    """Events as the engine writes them: into the outbox, in a committed transaction."""
    start = datetime.now(UTC)
    events = [
        Event(
            id=uuid4(),
            workspace_id=workspace,
            type=EventType.RECORD_ENRICHED,
            data={"recordId": str(uuid4()), "n": n},
            occurred_at=start + timedelta(milliseconds=n),
        )
        for n in range(count)
    ]
    async with PostgresUnitOfWork(pool) as uow:
        await uow.events.add(events)
        await uow.commit()
    return {str(e.id) for e in events}


async def delivery_rows(database_url: str, workspace: str) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT id, event_id, status FROM webhook_deliveries WHERE workspace_id = %s", (workspace,)
        )
        return await cursor.fetchall()


async def test_a_worker_killed_mid_delivery_is_replaced_and_every_outbox_event_arrives(
    api: Any, worker_settings: Settings, receiver: Receiver, clean_pool: AsyncConnectionPool
) -> None:
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    hook = await api.post(
        f"/api/v1/workspaces/{workspace}/webhooks",
        json={"url": receiver.url, "events": ["record.enriched"]},
        headers=owner.headers,
    )
    assert hook.status_code == 201, hook.text
    receiver.answer(200, delay=0.4)  # slow: deliveries are in flight when the worker dies
    expected = await outbox_events(clean_pool, UUID(workspace), EVENTS)

    first = worker_process(worker_settings)
    try:
        await receiver.wait_for(6, within=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    await asyncio.sleep(0.5)  # the receiver finishes with what arrived whole before the kill
    at_kill = len(receiver.snapshot())
    assert at_kill < EVENTS, "the worker was killed before it could deliver everything"
    # What the receiver had but the dead worker never recorded is all that may arrive twice: an attempt's slot is
    # freed when the receiver answers, and finished attempts wait for the next group commit.
    unrecorded = at_kill - sum(
        status == "succeeded" for _, _, status in await delivery_rows(worker_settings.database.url, workspace)
    )

    second = worker_process(worker_settings)
    try:
        deadline = time.monotonic() + 60
        while True:
            rows = await delivery_rows(worker_settings.database.url, workspace)
            if len(rows) == EVENTS and all(status == "succeeded" for _, _, status in rows):
                break
            assert second.poll() is None, "the second worker died"
            assert time.monotonic() < deadline, f"not delivered: {[r for r in rows if r[2] != 'succeeded']}"
            await asyncio.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)

    got = receiver.snapshot()
    arrived = {json.loads(r.body)["id"] for r in got}
    assert arrived == expected, "exactly the outbox's events: none lost, none invented"
    ids_by_event: dict[str, set[str]] = {}
    for r in got:
        ids_by_event.setdefault(json.loads(r.body)["id"], set()).add(r.delivery)
    assert all(len(ids) == 1 for ids in ids_by_event.values()), "each event under one delivery id"
    assert {str(event_id) for _, event_id, _ in rows} == expected, "one delivery per event"
    repeats = len(got) - EVENTS
    assert repeats <= unrecorded, f"only what the dead worker had not recorded repeats: {repeats} > {unrecorded}"
