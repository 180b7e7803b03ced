"""Shared fixtures: settings, the memory and Postgres backends, HTTP clients.

Postgres tests use the throwaway server of `make test` (TEST_POSTGRES_URL);
run outside it, they fail with a message saying so rather than skip.

The suite runs on pytest-xdist workers (pyproject's addopts; `-n 0` runs it in
one process). The workers share the throwaway servers, never their data: each
has databases of its own (`cascade_suite_gw0`, ...: `create_database` adds the
worker to every name), a Redis database index of its own (`clean_redis`
empties that one only), and Temporal task queues the tests already make
unique. Whole files go to one worker (`--dist loadfile`), so a module's
fixtures are set up once.
"""

from __future__ import annotations

import base64
import gc
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool
from redis import Redis as SyncRedis

from adapters.memory.audit import MemoryAuditLogReader
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.credits import MemoryCreditReader
from adapters.memory.enrichment import MemoryAttemptReader
from adapters.memory.events import MemoryEventReader
from adapters.memory.identity import MemoryUserReader
from adapters.memory.jobs import MemoryJobReader
from adapters.memory.records import MemoryRecordReader
from adapters.memory.replication import MemoryReplicationReader
from adapters.memory.search import MemorySearchIndex
from adapters.memory.store import MemoryStore
from adapters.memory.team import MemoryTeamReader
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.memory.webhooks import MemoryWebhookReader
from adapters.memory.workspaces import MemoryWorkspaceReader
from adapters.postgres.audit import PostgresAuditLogReader
from adapters.postgres.credentials import PostgresCredentialReader
from adapters.postgres.credits import PostgresCreditReader
from adapters.postgres.enrichment import PostgresAttemptReader
from adapters.postgres.events import PostgresEventReader
from adapters.postgres.identity import PostgresUserReader
from adapters.postgres.jobs import PostgresJobReader
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.records import PostgresRecordReader
from adapters.postgres.replication import PostgresReplicationReader
from adapters.postgres.search import PostgresSearchIndex
from adapters.postgres.team import PostgresTeamReader
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.postgres.webhooks import PostgresWebhookReader
from adapters.postgres.workspaces import PostgresWorkspaceReader
from entrypoints.http.app import create_app
from entrypoints.wiring.settings import PROJECT_ROOT, Settings, load_settings
from ports.audit import AuditLogReader
from ports.credentials import CredentialReader
from ports.credits import CreditReader
from ports.enrichment import AttemptReader
from ports.events import EventReader
from ports.identity import UserReader
from ports.jobs import JobReader
from ports.records import RecordReader
from ports.replication import ReplicationReader
from ports.search import SearchIndex
from ports.team import TeamReader
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader
from ports.workspaces import WorkspaceReader

# No test exports spans to a collector: tracing is off here and in every `cascade` process a test spawns
# (they inherit this environment); tests/integration/platform/test_tracing.py turns it on with an in-memory exporter.
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


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis' own clocks (a 200 ms deadline per example, the too_slow health check) measure the machine, not
    # the code: on a loaded machine, or beside another worker, they fail tests that are right. A test that wants
    # a deadline still sets one in its @settings. (--hypothesis-profile still picks another.)
    hypothesis_settings.register_profile("cascade", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    if config.getoption("hypothesis_profile", None) is None:
        hypothesis_settings.load_profile("cascade")
    # Python's cycle collector, tuned for a test run (not for the benchmarks, which import this module): each
    # test builds an app of many thousands of objects and drops it, and with the default thresholds a fifth of
    # the CPU (measured on test_bad_input.py) went to collections. Fewer, larger young collections; cycles are
    # still freed, in batches.
    gc.set_threshold(100_000, 50, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists once the tests are collected (modules, fixtures, the items) stays: out of the old
    generation's scans with it."""
    gc.collect()
    gc.freeze()


# "gw0", "gw1", ... on a pytest-xdist worker; "" in a run of one process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_suffix() -> str:
    """What makes a name this worker's own: "_gw0", or nothing in a run of one process."""
    return f"_{WORKER}" if WORKER else ""


# Files by what they cost, most first: with --dist loadfile the workers take files in this order, so the long
# e2e and integration files start early and the many small unit files fill in at the end.
_COST_ORDER = ("tests/e2e/", "tests/integration/", "tests/contract/", "tests/property/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _give_each_test_its_own_id(items)

    def cost_rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((rank for rank, prefix in enumerate(_COST_ORDER) if path.startswith(prefix)), len(_COST_ORDER))

    items.sort(key=cost_rank)  # stable: within a rank, files and tests keep their order


def _give_each_test_its_own_id(items: list[pytest.Item]) -> None:
    """schemathesis names its tests `test[GET /api/v1/health]`, one per operation, but under pytest 9 their node ids
    are all the bare `test`: reports and --lf mix them up, and pytest-xdist, which deals tests out by id, runs one
    of them and drops the rest. Each gets the id its name says; an id still shared stops the run."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1 and isinstance(item, pytest.Function) and item.parent is not None:
            params = item.name.removeprefix(item.originalname)
            if params.startswith("[") and params.endswith("]"):
                item._id = item.parent.id.child(item.originalname).with_params(params[1:-1])
    shared = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if shared:
        raise pytest.UsageError(f"tests that share a node id (pytest-xdist would run one of each): {shared}")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.fail("TEST_POSTGRES_URL is not set: run the suite with `make test` (it starts PostgreSQL)")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, at a database index of this worker's own: 1 + its number on xdist worker gwN."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test` (it starts Redis)")
    if not WORKER:
        return url
    server, _, database = url.rpartition("/")
    if not server.startswith("redis://") or not (database or "0").isdigit():
        pytest.fail(f"TEST_REDIS_URL must end in a database index, e.g. redis://host:port/0, not {url}")
    index = int(database or "0") + 1 + int(WORKER.removeprefix("gw"))
    with SyncRedis.from_url(url) as client:
        available = int(client.config_get("databases")["databases"])
    if index >= available:
        pytest.fail(f"worker {WORKER} needs Redis database {index}; the server has {available} (--databases)")
    return f"{server}/{index}"


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    url = os.environ.get("TEST_OPENSEARCH_URL")
    if not url:
        pytest.fail("TEST_OPENSEARCH_URL is not set: run the suite with `make test` (it starts the engine)")
    return url


@pytest.fixture(scope="session")
def temporal_address() -> str:
    address = os.environ.get("TEST_TEMPORAL_ADDRESS")
    if not address:
        pytest.fail("TEST_TEMPORAL_ADDRESS is not set: run the suite with `make test` (it starts Temporal)")
    return address


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """Redis (this worker's database) emptied for this test: circuit breakers and limits start fresh."""
    with SyncRedis.from_url(redis_url) as client:
        client.flushdb()
    return redis_url


async def create_database(server_url: str, name: str) -> str:
    """A new empty database on the test server, `name` and this worker's suffix; returns its URL."""
    name += worker_suffix()
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
    replication: ReplicationReader
    search: SearchIndex


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
            replication=MemoryReplicationReader(store),
            search=MemorySearchIndex(),
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
        replication=PostgresReplicationReader(pool),
        search=PostgresSearchIndex(pool),
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
