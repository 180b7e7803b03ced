"""Shared fixtures: settings, the memory and Postgres backends, HTTP clients.

Postgres tests use the throwaway server of `make test` (TEST_POSTGRES_URL);
run outside it, they fail with a message saying so rather than skip.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool
from redis import Redis as SyncRedis

from adapters.memory.attempts import MemoryAttemptReader
from adapters.memory.audit import MemoryAuditLogReader
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.credits import MemoryCreditReader
from adapters.memory.events import MemoryEventReader
from adapters.memory.jobs import MemoryJobReader
from adapters.memory.readers import MemoryTeamReader, MemoryUserReader, MemoryWorkspaceReader
from adapters.memory.records import MemoryRecordReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.memory.webhooks import MemoryWebhookReader
from adapters.postgres.attempts import PostgresAttemptReader
from adapters.postgres.audit import PostgresAuditLogReader
from adapters.postgres.credentials import PostgresCredentialReader
from adapters.postgres.credit_reader import PostgresCreditReader
from adapters.postgres.events import PostgresEventReader
from adapters.postgres.jobs import PostgresJobReader
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.readers import PostgresTeamReader, PostgresUserReader, PostgresWorkspaceReader
from adapters.postgres.records import PostgresRecordReader
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.postgres.webhooks import PostgresWebhookReader
from entrypoints.config import PROJECT_ROOT, Settings, load_settings
from entrypoints.http.app import create_app
from ports.attempts import AttemptReader
from ports.audit import AuditLogReader
from ports.credentials import CredentialReader
from ports.credits import CreditReader
from ports.events import EventReader
from ports.jobs import JobReader
from ports.readers import TeamReader, UserReader, WorkspaceReader
from ports.records import RecordReader
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader

# No test exports spans to a collector: tracing is off here and in every `cascade` process a test spawns
# (they inherit this environment); tests/integration/test_tracing.py turns it on with an in-memory exporter.
os.environ["OTEL_ENABLED"] = "false"
MIGRATIONS = PROJECT_ROOT / "migrations" / "postgres"
# argon2 at its cheapest: tests exercise the logic, not the cost.
FAST_HASHING = {"password_hash_memory_kib": 64}
# An explicit keyring, so no test writes a development key into the repository's .cascade/.
TEST_KEYS = {"encryption_keys": "test:" + base64.b64encode(b"cascade test key, 32 bytes long!").decode()}


# Providers default to a closed local port: no test ever calls a real provider API.
NO_PROVIDERS = {
    f"provider_{name}_base_url": "http://127.0.0.1:9"
    for name in ("apollo", "hunter", "clearbit_person", "clearbit_company")
}


def test_settings(**overrides: Any) -> Settings:
    return load_settings({}, **{"profile": "memory", **FAST_HASHING, **TEST_KEYS, **NO_PROVIDERS, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.fail("TEST_POSTGRES_URL is not set: run the suite with `make test` (it starts PostgreSQL)")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test` (it starts Redis)")
    return url


@pytest.fixture(scope="session")
def temporal_address() -> str:
    address = os.environ.get("TEST_TEMPORAL_ADDRESS")
    if not address:
        pytest.fail("TEST_TEMPORAL_ADDRESS is not set: run the suite with `make test` (it starts Temporal)")
    return address


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """Redis emptied for this test: circuit breakers and limits start fresh."""
    with SyncRedis.from_url(redis_url) as client:
        client.flushdb()
    return redis_url


async def create_database(server_url: str, name: str) -> str:
    """A new empty database on the test server; returns its URL."""
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as conn:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
async def migrated_url(postgres_url: str) -> str:
    url = await create_database(postgres_url, "cascade_suite")
    await migrate(url, MIGRATIONS)
    return url


@pytest.fixture(scope="session")
async def pg_pool(migrated_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = await open_pool(migrated_url, min_size=1, max_size=8, acquire_timeout=10)
    yield pool
    await pool.close()


async def truncate_all(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
            )
        ).fetchall()
        if rows:
            await conn.execute("TRUNCATE " + ", ".join(f'"{r[0]}"' for r in rows) + " CASCADE")


@pytest.fixture
async def clean_pool(pg_pool: AsyncConnectionPool) -> AsyncConnectionPool:
    await truncate_all(pg_pool)
    return pg_pool


@dataclass(slots=True)
class Backend:
    """One adapter set: how contract tests see a backend."""

    name: str
    uow: Callable[[], UnitOfWork]
    users: UserReader
    workspaces: WorkspaceReader
    team: TeamReader
    credits: CreditReader
    credentials: CredentialReader
    audit: AuditLogReader
    records: RecordReader
    attempts: AttemptReader
    jobs: JobReader
    events: EventReader
    webhooks: WebhookReader


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        store = MemoryStore()
        return Backend(
            "memory",
            lambda: MemoryUnitOfWork(store),
            MemoryUserReader(store),
            MemoryWorkspaceReader(store),
            MemoryTeamReader(store),
            MemoryCreditReader(store),
            credentials=MemoryCredentialReader(store),
            audit=MemoryAuditLogReader(store),
            records=MemoryRecordReader(store),
            attempts=MemoryAttemptReader(store),
            jobs=MemoryJobReader(store),
            events=MemoryEventReader(store),
            webhooks=MemoryWebhookReader(store),
        )
    pool: AsyncConnectionPool = request.getfixturevalue("clean_pool")
    return Backend(
        "postgres",
        lambda: PostgresUnitOfWork(pool),
        PostgresUserReader(pool),
        PostgresWorkspaceReader(pool),
        PostgresTeamReader(pool),
        PostgresCreditReader(pool),
        credentials=PostgresCredentialReader(pool),
        audit=PostgresAuditLogReader(pool),
        records=PostgresRecordReader(pool),
        attempts=PostgresAttemptReader(pool),
        jobs=PostgresJobReader(pool),
        events=PostgresEventReader(pool),
        webhooks=PostgresWebhookReader(pool),
    )


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    """The API on the memory profile."""
    async with AsyncTestClient(app=create_app(test_settings())) as test_client:
        yield test_client


@pytest.fixture(params=["client", "pg_client"])
def api(request: pytest.FixtureRequest) -> Any:
    """The same test on the memory profile and on PostgreSQL + Redis."""
    return request.getfixturevalue(request.param)


@pytest.fixture
async def pg_client(migrated_url: str, clean_redis: str, clean_pool: AsyncConnectionPool) -> AsyncIterator[Any]:
    """The API on the local profile: real PostgreSQL and Redis."""
    settings = test_settings(profile="local", database_url=migrated_url, redis_url=clean_redis)
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client
