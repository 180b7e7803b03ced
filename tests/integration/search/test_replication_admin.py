"""Replication as an operator sees it, on PostgreSQL: lag in health and metrics, a poison event set aside as a
dead letter without holding anything back, then inspected and replayed or discarded, by platform admins only;
and `cascade replication status`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool

from entrypoints.http.app import create_app
from entrypoints.wiring.settings import env_name, flat
from tests.api import Account, assert_error, create_workspace, register
from tests.conftest import test_settings
from tests.integration.search.test_search_api import PEOPLE, create, until_found

ADMIN = "/api/v1/admin/replication"


@pytest.fixture
async def fast(migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool) -> AsyncIterator[Any]:
    """The local profile, retrying a failed event after 0.2 s and giving it up after 2 attempts."""
    settings = test_settings(
        profile="local", database_url=migrated_url, redis_url=clean_redis, replication_poll_seconds=0.05,
        replication_first_retry_seconds=0.2, replication_max_retry_seconds=0.2, replication_max_attempts=2,
    )  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def platform_admin(api: Any, pool: AsyncConnectionPool) -> Account:
    admin = await register(api, "ops")
    async with pool.connection() as conn:  # before any request of theirs caches who they are
        await conn.execute("UPDATE users SET is_platform_admin = true WHERE id = %s", (admin.id,))
    return admin


async def poison(pool: AsyncConnectionPool, workspace: str) -> str:
    """An event the search sink cannot read (no record id), as a bug elsewhere might write one."""
    event_id = str(uuid4())
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO outbox_events (id, workspace_id, type, data, occurred_at)"
            " VALUES (%s, %s, 'record.updated', '{\"recordId\": \"not-an-id\"}', now())",
            (event_id, workspace),
        )
    return event_id


async def until(check: Any, what: str) -> Any:
    for _ in range(100):
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(what)


async def test_a_poison_event_is_set_aside_shown_and_replayed(fast: Any, clean_pool: AsyncConnectionPool) -> None:
    admin = await platform_admin(fast, clean_pool)
    owner = await register(fast, "owner")
    workspace = await create_workspace(fast, owner)
    bad = await poison(clean_pool, workspace)
    await create(fast, owner, workspace, PEOPLE[1])
    await until_found(fast, owner, workspace, "snow", 1)  # behind the poison event, nothing waits

    async def dead() -> Any:
        body = (await fast.get(f"{ADMIN}/search/dead-letters", headers=admin.headers)).json()
        return body["data"] or None

    (letter,) = await until(dead, "the poison event never became a dead letter")
    assert (letter["eventId"], letter["attempts"]) == (bad, 2)
    assert letter["lastError"].startswith("malformed record.updated event")
    detail = (await fast.get(f"{ADMIN}/search/dead-letters/{bad}", headers=admin.headers)).json()["data"]
    assert detail["event"]["data"] == {"recordId": "not-an-id"}

    (status,) = (await fast.get(ADMIN, headers=admin.headers)).json()["data"]
    assert (status["sink"], status["deadLetters"], status["behind"]) == ("search", 1, 0)
    health = (await fast.get("/api/v1/health")).json()["data"]
    replication = next(c for c in health["components"] if c["name"] == "replication")
    assert (replication["status"], health["status"]) == ("degraded", "degraded")
    assert "1 dead letters" in replication["detail"]

    replayed = await fast.post(f"{ADMIN}/search/dead-letters/{bad}/replay", headers=admin.headers)
    assert replayed.status_code == 202
    assert replayed.json()["data"] == {"replayed": 1}
    await until(dead, "a replayed letter that fails again is dead again")
    discarded = await fast.delete(f"{ADMIN}/search/dead-letters/{bad}", headers=admin.headers)
    assert discarded.status_code == 204
    assert (await fast.get(f"{ADMIN}/search/dead-letters", headers=admin.headers)).json()["data"] == []
    assert_error(await fast.delete(f"{ADMIN}/search/dead-letters/{bad}", headers=admin.headers), 404, "NOT_FOUND")
    metrics = (await fast.get("/api/v1/metrics")).text
    assert 'cascade_replication_lag_events{sink="search"}' in metrics


async def test_only_platform_admins(pg_client: Any, clean_pool: AsyncConnectionPool) -> None:
    owner = await register(pg_client, "owner")
    admin = await platform_admin(pg_client, clean_pool)

    for path in (ADMIN, f"{ADMIN}/search/dead-letters", f"{ADMIN}/search/dead-letters/{uuid4()}"):
        assert_error(await pg_client.get(path, headers=owner.headers), 403, "FORBIDDEN")
        assert_error(await pg_client.get(path), 401, "UNAUTHORIZED")
    assert_error(await pg_client.post(f"{ADMIN}/search/dead-letters/replay", headers=owner.headers), 403, "FORBIDDEN")
    assert_error(await pg_client.get(f"{ADMIN}/nowhere/dead-letters", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(await pg_client.get(f"{ADMIN}/search/dead-letters/{uuid4()}", headers=admin.headers), 404,
                 "NOT_FOUND")  # fmt: skip
    replayed = await pg_client.post(f"{ADMIN}/search/dead-letters/replay", headers=admin.headers)
    assert replayed.json()["data"] == {"replayed": 0}


def test_cascade_replication_status_prints_each_sink(migrated_url: str, clean_pool: AsyncConnectionPool) -> None:
    settings = test_settings(profile="local", database_url=migrated_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {env_name(name): str(value) for name, value in flat(settings).items()}
    env[env_name("log_level")] = "WARNING"

    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "replication", "status"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    (line,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert line["sink"] == "search"
    assert {"applied", "behind", "secondsBehind", "retrying", "deadLetters", "updatedAt"} <= set(line)
