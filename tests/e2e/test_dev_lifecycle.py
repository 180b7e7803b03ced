"""`cascade dev` after a crash, the commands run beside it, and a process of it that fails: real process trees."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from entrypoints.cli.embedded_postgres import EmbeddedPostgres
from tests.support.dev_process import PASSWORD, Dev, dev_env, processes_of, register, run_cascade, wait_until


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    # Whatever a failed test left, no process of this run outlives it.
    if processes_of(path):
        EmbeddedPostgres(path / "postgres", 1).stop()  # by its data directory, whatever its port
        for pid in processes_of(path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def login(api: str, email: str) -> httpx.Response:
    return httpx.post(f"{api}/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)


def postgres_of(processes: dict[int, str]) -> list[int]:
    return [pid for pid, command in processes.items() if command.split(" ", 1)[0].endswith("/postgres")]


def test_cascade_dev_starts_again_after_a_crash_with_its_data(data_dir: Path) -> None:
    env = dev_env(data_dir)
    first = Dev(env)
    try:
        first.wait_ready()
        register(first.api, "ann@example.com")
    finally:
        first.kill_group()  # SIGKILL to the whole group: an OOM kill, a closed terminal, a `kill -9 -PGID`
    left = processes_of(data_dir)
    assert postgres_of(left), f"the scenario: PostgreSQL (a session of its own) outlives the crash; left: {left}"

    second = Dev(env)
    try:
        second.wait_ready()
        leftovers = [line for line in second.output().splitlines() if "stopped_leftover" in line]
        assert any('"process": "postgres"' in line for line in leftovers), second.output()[-3000:]
        answer = login(second.api, "ann@example.com")
        assert answer.status_code == 200, "the data of the first run is intact"
    finally:
        code = second.interrupt()
    assert code in (0, 130), second.output()[-3000:]
    assert processes_of(data_dir) == {}, f"a clean stop leaves no process behind:\n{second.output()[-3000:]}"
    assert not (data_dir / "postgres" / "pgdata" / "postmaster.pid").exists()


def test_the_worker_scraper_and_temporal_die_with_cascade_dev(data_dir: Path) -> None:
    """SIGKILL of `cascade dev` alone: its children, in process groups of their own, follow it; PostgreSQL is
    stopped by the next owner of the data dir, here a command."""
    env = dev_env(data_dir)
    dev = Dev(env)
    try:
        dev.wait_ready()
        children = {pid: c for pid, c in processes_of(data_dir).items() if pid != dev.process.pid}
        assert any("entrypoints.cli.main worker" in c for c in children.values()), children
        assert any("entrypoints.cli.main scraper" in c for c in children.values()), children
        assert any("temporal server start-dev" in c for c in children.values()), children
    finally:
        dev.process.kill()
        dev.process.wait()

    def only_postgres_left() -> bool:
        left = processes_of(data_dir)
        return set(left) == set(postgres_of(left)) or not left

    wait_until(only_postgres_left, "children outlived cascade dev", describe=lambda: processes_of(data_dir))

    migrated = run_cascade(env, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "stopped_leftover" in migrated.stdout + migrated.stderr
    assert processes_of(data_dir) == {}, "the command stops the database it started"


def test_cli_commands_find_the_embedded_database_of_the_data_dir(data_dir: Path) -> None:
    env = dev_env(data_dir)
    assert "CASCADE_DATABASE_URL" not in env
    dev = Dev(env)
    try:
        dev.wait_ready()
        token = register(dev.api, "ann@example.com")["accessToken"]

        made = run_cascade(env, "users", "make-admin", "ann@example.com")  # beside the running `cascade dev`
        assert made.returncode == 0, made.stdout + made.stderr
        me = httpx.get(f"{dev.api}/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert me.json()["data"]["platformAdmin"] is True
        assert "starting_embedded_postgres" not in made.stdout + made.stderr, "it used the running database"
    finally:
        assert dev.interrupt() in (0, 130)

    revoked = run_cascade(env, "users", "make-admin", "ann@example.com", "--revoke")  # nothing running
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert processes_of(data_dir) == {}, "the command stops the database it started"
    missing = run_cascade(env, "users", "make-admin", "nobody@example.com")
    assert missing.returncode == 1
    assert "no user with that email" in missing.stderr

    postgres = EmbeddedPostgres(data_dir / "postgres", int(env["CASCADE_EMBEDDED_POSTGRES_PORT"]))
    url = postgres.start()
    try:
        admin = asyncio.run(_is_platform_admin(url, "ann@example.com"))
    finally:
        postgres.stop()
    assert admin is False, "the revocation was written to the data dir's database"


async def _is_platform_admin(url: str, email: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (await conn.execute("SELECT is_platform_admin FROM users WHERE email = %s", (email,))).fetchone()
        assert row is not None
        return bool(row[0])


def test_cascade_dev_fails_naming_a_process_that_exits(data_dir: Path) -> None:
    """A worker that cannot run (its Temporal namespace does not exist) stops `cascade dev`, which says so."""
    dev = Dev(dev_env(data_dir, CASCADE_TEMPORAL_NAMESPACE="no-such-namespace"))
    try:
        code = dev.wait_exit()
    finally:
        dev.close()
    assert code == 1, dev.output()[-3000:]
    assert "cascade dev: the worker (pid" in dev.output()
    assert "exited with code" in dev.output()
    assert "before it was ready" in dev.output()
    assert "cascade dev is ready" not in dev.output()
    assert processes_of(data_dir) == {}, "it stops everything it started"
