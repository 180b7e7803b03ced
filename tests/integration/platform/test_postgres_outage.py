"""R10: PostgreSQL restarted mid-load. During the outage requests fail with 503 in the envelope (never a 500,
never a hang), afterwards they succeed again on the same pool, and nothing a 2xx answer confirmed is lost.

The server is this test's own (durable, like production), stopped with `pg_ctl -m immediate` — a crash, with
no checkpoint — and started again on the same port and data directory. The API runs under uvicorn.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.postgres.migrator import migrate
from entrypoints.cli.embedded_postgres import EmbeddedPostgres
from entrypoints.cli.processes import free_port
from entrypoints.http.app import create_app
from tests.conftest import MIGRATIONS, test_settings
from tests.fakes.server import serve

WRITERS = 6


@pytest.fixture
def postgres(tmp_path: Path) -> Any:
    server = EmbeddedPostgres(tmp_path / "pg", free_port(), durable=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def crash(server: EmbeddedPostgres) -> None:
    result = server._run("pg_ctl", "-D", str(server.pgdata), "-m", "immediate", "-w", "stop")
    assert result.returncode == 0, result.stderr


async def test_r10_postgres_restarted_mid_load_answers_503_then_recovers_and_loses_nothing(
    postgres: EmbeddedPostgres,
) -> None:
    await migrate(postgres.url, MIGRATIONS)
    # Six writers as fast as they can go: a load test, not a client the write limits are for.
    unlimited_writes = {"rate_limit_writes_per_minute": 1_000_000, "rate_limit_workspace_writes_per_minute": 1_000_000}
    settings = test_settings(profile="local", database_url=postgres.url, database_pool_timeout=1.0, **unlimited_writes)
    with serve(create_app(settings), path="/api/v1") as api:
        async with httpx.AsyncClient(base_url=api, timeout=20) as client:
            token = await _owner(client)
            headers = {"Authorization": f"Bearer {token}"}
            workspace = (await client.post("/workspaces", json={"name": "R10"}, headers=headers)).json()["data"]["id"]
            records = f"/workspaces/{workspace}/records"
            confirmed: list[str] = []
            answers: list[tuple[str, int, dict[str, Any]]] = []
            phase = "before"
            stop = asyncio.Event()
            names = itertools.count()

            async def writer() -> None:
                while not stop.is_set():
                    body = {"kind": "company", "inputs": {"domain": f"company{next(names)}.example.com"}}
                    started = time.monotonic()
                    response = await client.post(records, json=body, headers=headers)
                    assert time.monotonic() - started < 10, "no request hangs through the outage"
                    answers.append((phase, response.status_code, response.json()))
                    if response.status_code == 201:
                        confirmed.append(response.json()["data"]["id"])
                    await asyncio.sleep(0.01)

            def seen(wanted_phase: str, status: int, count: int = 1) -> bool:
                return sum(1 for p, s, _ in answers if p == wanted_phase and s == status) >= count

            load = [asyncio.create_task(writer()) for _ in range(WRITERS)]
            await until(lambda: seen("before", 201, WRITERS), "the writers' records are stored", load)
            phase = "outage"
            await asyncio.to_thread(crash, postgres)
            await until(lambda: seen("outage", 503, WRITERS), "the writers are told the database is down", load)
            readiness = await client.get("/readiness")
            phase = "restarting"
            await asyncio.to_thread(postgres.start)
            phase = "after"
            await until(lambda: seen("after", 201, WRITERS), "the writers' records are stored again", load)
            stop.set()
            await asyncio.gather(*load)

            assert readiness.status_code == 503, "not ready while the database is down"
            assert readiness.json()["success"] is False or readiness.json()["data"]["status"] == "down"
            statuses = {status for _, status, _ in answers}
            assert statuses <= {201, 503}, f"only successes and 503s: {sorted(statuses)}"
            unavailable = [body for _, status, body in answers if status == 503]
            assert unavailable, "the outage was seen"
            for body in unavailable:
                assert body["success"] is False
                assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert any(p == "before" and s == 201 for p, s, _ in answers)
            assert any(p == "after" and s == 201 for p, s, _ in answers), "it recovered on its own"

            stored: set[str] = set()
            cursor: str | None = None
            while True:
                params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
                page = (await client.get(records, params=params, headers=headers)).json()
                stored |= {r["id"] for r in page["data"]}
                cursor = page["meta"]["nextCursor"]
                if cursor is None:
                    break
            assert set(confirmed) <= stored, "every record a 201 confirmed survived the crash"


async def until(condition: Callable[[], bool], what: str, load: list[asyncio.Task[None]], within: float = 30) -> None:
    """Wait for what the writers answer; the bound is on a failure only (a healthy phase takes a fraction of it)."""
    deadline = time.monotonic() + within
    while not condition():
        for task in load:
            if task.done():
                task.result()  # a writer's failed assertion, raised here
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.01)


async def _owner(client: httpx.AsyncClient) -> str:
    body = {"email": "r10@example.com", "password": "correct horse battery", "name": "R10"}
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["accessToken"])
