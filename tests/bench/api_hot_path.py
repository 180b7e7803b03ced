"""P4: the API's hot path, against bare Litestar and raw psycopg in the same run, and open-loop latency.

    make bench   (or: python -m tests.services -- python -m tests.bench.api_hot_path)

Every server is a real process on loopback, served by uvicorn with httptools as `cascade serve` is, and loaded
from another process (wrk when installed, see tests/bench/load.py). Access logs are on (at INFO, to a file),
metrics on, rate limits on but raised out of the way. Prints one JSON line per measurement:

- edge: `GET /api/v1/health` and the authenticated `GET /api/v1/auth/me` on the memory profile, against a bare
  Litestar app answering the same JSON from memory (goals 0.5 and 0.35);
- records: `GET .../records?limit=50` on the `local` stack (PostgreSQL, Redis), tracing off and on, against a
  bare Litestar handler that runs the same SQL with psycopg and encodes the same JSON with msgspec (goal 0.6,
  one API worker);
- open loop: the records list at 100, 300 and 600 requests/s with the default worker count (goal p99 <= 25 ms
  at 300), and at 100/s `POST .../records` and `POST .../enrichment/enrich` (the sandbox's fake providers).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from adapters.postgres.migrator import migrate
from entrypoints.cli.processes import free_port
from entrypoints.wiring.settings import env_name
from tests.bench.load import Target, closed_loop, open_loop
from tests.conftest import MIGRATIONS, TEST_KEYS, create_database
from tests.fakes.harness import KEYS, running_fakes
from tests.support.dev_process import wait_until

SECONDS = float(os.environ.get("BENCH_P4_SECONDS", "8"))
RATES = [float(r) for r in os.environ.get("BENCH_P4_RATES", "100,300,600").split(",")]
UNLIMITED = "100000000"
LOGS = Path(tempfile.mkdtemp(prefix="cascade-p4-"))


def cascade_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASCADE_", "OTEL_"))}
    env |= {
        "CASCADE_HOST": "127.0.0.1",
        "CASCADE_PASSWORD_HASH_MEMORY_KIB": "1024",
        "CASCADE_ENCRYPTION_KEYS": TEST_KEYS["encryption_keys"],
        "CASCADE_LOG_LEVEL": "INFO",
        "OTEL_ENABLED": "false",
        **{
            f"CASCADE_RATE_LIMIT_{group}_PER_MINUTE": UNLIMITED
            for group in ("AUTH", "READS", "WORKSPACE_READS", "WRITES", "WORKSPACE_WRITES")
        },
    }
    return env | settings


@contextmanager
def process(command: list[str], env: dict[str, str], name: str) -> Iterator[str]:
    port = free_port()
    env = env | {"CASCADE_PORT": str(port), "UVICORN_PORT": str(port)}  # the API's and the baseline's
    log = (LOGS / f"{name}.log").open("wb")
    child = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: answers(f"{url}/api/v1/health"),
            f"{name} answers",
            timeout=60,
            describe=lambda: f"see {log.name}, exit code {child.poll()}",
        )
        yield url
    finally:
        child.terminate()
        child.wait(30)
        log.close()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def cascade(env: dict[str, str], name: str) -> Any:
    return process([sys.executable, "-m", "entrypoints.cli.main", "serve"], env, name)


def baseline(bodies: dict[str, Any], database_url: str = "") -> Any:
    path = LOGS / f"bodies-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(bodies))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {"BASELINE_BODIES": str(path), "BASELINE_DATABASE_URL": database_url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.bench.baseline_app:app",
        "--host",
        "127.0.0.1",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return process(command, env, "baseline")


def account(url: str) -> tuple[dict[str, str], str]:
    """A new user's bearer header and a workspace of theirs."""
    email = f"p4-{uuid.uuid4().hex[:8]}@example.com"
    answer = httpx.post(
        f"{url}/api/v1/auth/register", json={"email": email, "password": "correct horse battery", "name": "P4"}
    )
    assert answer.status_code == 201, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['data']['accessToken']}"}
    workspace = httpx.post(f"{url}/api/v1/workspaces", json={"name": "P4"}, headers=headers)
    assert workspace.status_code == 201, workspace.text
    return headers, workspace.json()["data"]["id"]


def report(**fields: Any) -> None:
    print(json.dumps({"benchmark": "P4", **fields}), flush=True)


def compare(name: str, ours: Target, theirs: Target, goal: float, **extra: Any) -> None:
    cascade_run, bare = closed_loop(ours, seconds=SECONDS), closed_loop(theirs, seconds=SECONDS)
    assert cascade_run.errors == 0, cascade_run
    assert bare.errors == 0, bare
    report(
        measure=name,
        client=cascade_run.client,
        cascade_rps=round(cascade_run.requests_per_second),
        baseline_rps=round(bare.requests_per_second),
        ratio=round(cascade_run.requests_per_second / bare.requests_per_second, 3),
        goal=goal,
        cascade_p50_ms=cascade_run.p50_ms,
        cascade_p99_ms=cascade_run.p99_ms,
        **extra,
    )


def edge() -> None:
    with cascade(cascade_env(CASCADE_PROFILE="memory"), "cascade-memory") as url:
        headers, _ = account(url)
        bodies = {
            "/api/v1/health": httpx.get(f"{url}/api/v1/health").json(),
            "/api/v1/auth/me": httpx.get(f"{url}/api/v1/auth/me", headers=headers).json(),
        }
        with baseline(bodies) as bare:
            compare("edge: GET /health, memory", Target(f"{url}/api/v1/health"), Target(f"{bare}/api/v1/health"), 0.5)
            compare(
                "edge: GET /auth/me, authenticated, memory",
                Target(f"{url}/api/v1/auth/me", headers=headers),
                Target(f"{bare}/api/v1/auth/me"),
                0.35,
            )


ENRICHED = {
    "fields": {
        "title": "VP Engineering",
        "seniority": "vp",
        "department": "engineering",
        "phone": "+14155550100",
        "linkedinUrl": "https://www.linkedin.com/in/someone",
        "location": {"city": "Austin", "region": "TX", "country": "US"},
        "companyDomain": "example.com",
        "emailStatus": "valid",
    },
}


def seed(url: str, database_url: str, headers: dict[str, str], workspace: str, count: int = 200) -> None:
    """`count` people, enriched as a waterfall leaves them: fields with their provenance."""
    for i in range(count):
        body = {
            "kind": "person",
            "inputs": {"email": f"p{i}@example.com", "firstName": "Pat", "lastName": f"L{i}", "domain": "example.com"},
        }
        assert httpx.post(f"{url}/api/v1/workspaces/{workspace}/records", json=body, headers=headers).status_code == 201
    provenance = {
        name: {"provider": "apollo", "fetched_at": "2026-11-30T12:00:00+00:00", "confidence": 0.9}
        for name in ENRICHED["fields"]
    }
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE records SET fields = %s::jsonb, provenance = %s::jsonb, status = 'enriched'"
            " WHERE workspace_id = %s",
            (json.dumps(ENRICHED["fields"]), json.dumps(provenance), workspace),
        )


def real_stack(database_url: str, redis_url: str) -> None:
    local = {"CASCADE_PROFILE": "local", "CASCADE_DATABASE_URL": database_url, "CASCADE_REDIS_URL": redis_url}
    with running_fakes(slow_seconds=3) as fakes:
        providers = {
            env_name("provider_apollo_base_url"): fakes.apollo,
            env_name("provider_hunter_base_url"): fakes.hunter,
            env_name("provider_clearbit_person_base_url"): fakes.clearbit,
            env_name("provider_clearbit_company_base_url"): fakes.clearbit,
            env_name("provider_apollo_api_key"): KEYS["apollo"],
            env_name("provider_hunter_api_key"): KEYS["hunter"],
            env_name("provider_clearbit_api_key"): KEYS["clearbit"],
            "CASCADE_STARTER_CREDITS": "1000000",
            "CASCADE_RATE_LIMIT_JOBS_PER_MINUTE": UNLIMITED,
        }
        single = cascade_env(**local, **providers, CASCADE_API_WORKERS="1")
        with cascade(single, "cascade-local") as url:
            headers, workspace = account(url)
            seed(url, database_url, headers, workspace)
            records = records_of(url, workspace, headers)
            size = len(httpx.get(records.url, headers=headers).content)
            with baseline({}, database_url) as bare:
                theirs = Target(f"{bare}/records/{workspace}")
                bare_size = len(httpx.get(theirs.url).content)
                compare(
                    "records: GET records?limit=50, local, tracing off",
                    records,
                    theirs,
                    0.6,
                    body_bytes=size,
                    baseline_body_bytes=bare_size,
                )
                with cascade(
                    single | {"OTEL_ENABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"},
                    "cascade-traced",
                ) as traced:
                    traced_records = records_of(traced, workspace, headers)
                    compare("records: GET records?limit=50, local, tracing on", traced_records, theirs, 0.6)
        # the default worker count (one per core) needs Temporal: without it jobs run inside the one API process
        temporal = {"CASCADE_TEMPORAL_ADDRESS": os.environ["TEST_TEMPORAL_ADDRESS"]}
        with cascade(cascade_env(**local, **providers, **temporal), "cascade-default-workers") as url:
            headers, workspace = account(url)
            seed(url, database_url, headers, workspace)
            person = {"kind": "person", "inputs": {"email": "ann@example.com"}}
            routes = [
                ("GET records?limit=50", records_of(url, workspace, headers), RATES),
                ("POST records", json_target(url, f"/api/v1/workspaces/{workspace}/records", headers, person), [100.0]),
                (
                    "POST enrichment/enrich",
                    json_target(
                        url,
                        f"/api/v1/workspaces/{workspace}/enrichment/enrich",
                        headers,
                        person | {"fields": ["title"]},
                    ),
                    [100.0],
                ),
            ]
            for name, target, rates in routes:
                for rate in rates:
                    run = open_loop(target, rate=rate, seconds=SECONDS)
                    report(
                        measure=f"open loop: {name}",
                        rate=rate,
                        sent=run.sent,
                        error_rate=round(run.error_rate, 4),
                        p50_ms=round(run.p50_ms, 2),
                        p95_ms=round(run.p95_ms, 2),
                        p99_ms=round(run.p99_ms, 2),
                        connections=run.connections,
                        api_workers=os.cpu_count(),
                    )


def records_of(url: str, workspace: str, headers: dict[str, str]) -> Target:
    return Target(f"{url}/api/v1/workspaces/{workspace}/records?limit=50", headers=headers)


def json_target(url: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> Target:
    return Target(
        f"{url}{path}",
        method="POST",
        headers=headers | {"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )


async def database(base_url: str) -> str:
    url = await create_database(base_url, f"bench_p4_{uuid.uuid4().hex[:8]}")
    await migrate(url, MIGRATIONS)
    return url


def main() -> None:
    edge()
    real_stack(asyncio.run(database(os.environ["TEST_POSTGRES_URL"])), os.environ["TEST_REDIS_URL"])


if __name__ == "__main__":
    main()
