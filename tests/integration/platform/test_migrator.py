"""The migrator and `cascade migrate` on fresh databases of the throwaway server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from adapters.postgres.migrator import MigrationError, migrate
from entrypoints.cli.processes import free_port
from tests.conftest import MIGRATIONS, create_database

MIGRATION_FILES = sorted(MIGRATIONS.glob("*.sql"))
CASCADE = Path(sys.executable).parent / "cascade"


@pytest.fixture
async def fresh_url(postgres_url: str) -> str:
    return await create_database(postgres_url, f"migrator_{uuid4().hex[:12]}")


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    return directory


async def ledger(url: str) -> list[tuple[int, str, str]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY applied_at, version"
        )
        return [(int(v), str(n), str(c)) for v, n, c in await cursor.fetchall()]


async def tables(url: str) -> set[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {str(row[0]) for row in await cursor.fetchall()}


def expected_ledger() -> list[tuple[int, str, str]]:
    rows = []
    for path in MIGRATION_FILES:
        number, name = path.stem.split("_", 1)
        rows.append((int(number), name, hashlib.sha256(path.read_text().encode()).hexdigest()))
    return rows


def cli_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    return {**env, **settings}


async def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [str(CASCADE), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_applies_every_file_in_order_and_records_version_and_checksum(fresh_url: str) -> None:
    applied = await migrate(fresh_url, MIGRATIONS)

    assert [(m.version, m.name) for m in applied] == [(v, n) for v, n, _ in expected_ledger()]
    assert [m.version for m in applied] == sorted(m.version for m in applied)
    assert await ledger(fresh_url) == expected_ledger()
    assert {"users", "workspaces", "memberships", "refresh_tokens", "invitations"} <= await tables(fresh_url)


async def test_a_second_run_applies_nothing(fresh_url: str) -> None:
    await migrate(fresh_url, MIGRATIONS)

    assert await migrate(fresh_url, MIGRATIONS) == []
    assert await ledger(fresh_url) == expected_ledger()


async def test_only_new_files_are_applied(fresh_url: str, migrations_copy: Path) -> None:
    await migrate(fresh_url, migrations_copy)
    (migrations_copy / "900_audit_note.sql").write_text("CREATE TABLE audit_note (id uuid PRIMARY KEY);\n")

    applied = await migrate(fresh_url, migrations_copy)

    assert [(m.version, m.name) for m in applied] == [(900, "audit_note")]
    assert [row[0] for row in await ledger(fresh_url)] == [v for v, _, _ in expected_ledger()] + [900]
    assert "audit_note" in await tables(fresh_url)


async def test_a_file_edited_after_it_was_applied_is_refused(fresh_url: str, migrations_copy: Path) -> None:
    await migrate(fresh_url, migrations_copy)
    edited = migrations_copy / "002_workspaces.sql"
    edited.write_text(edited.read_text() + "\nALTER TABLE workspaces ADD COLUMN plan text;\n")
    (migrations_copy / "900_later.sql").write_text("CREATE TABLE later (id int);\n")

    with pytest.raises(MigrationError, match=re.escape("002_workspaces.sql")):
        await migrate(fresh_url, migrations_copy)

    assert "later" not in await tables(fresh_url)
    assert await ledger(fresh_url) == expected_ledger()


async def test_an_applied_file_that_went_missing_is_refused(fresh_url: str, migrations_copy: Path) -> None:
    await migrate(fresh_url, migrations_copy)
    (migrations_copy / "005_invitations.sql").unlink()

    with pytest.raises(MigrationError, match=re.escape("005_invitations.sql")):
        await migrate(fresh_url, migrations_copy)


@pytest.mark.parametrize("bad_name", ["6_sessions.sql", "006-sessions.sql", "006_Sessions.sql", "0006_sessions.sql"])
async def test_a_badly_named_file_is_refused_before_anything_runs(
    fresh_url: str, migrations_copy: Path, bad_name: str
) -> None:
    (migrations_copy / bad_name).write_text("CREATE TABLE sessions (id int);\n")

    with pytest.raises(MigrationError, match=re.escape(bad_name)):
        await migrate(fresh_url, migrations_copy)

    assert await tables(fresh_url) == set()


async def test_two_files_with_the_same_number_are_refused(fresh_url: str, migrations_copy: Path) -> None:
    (migrations_copy / "003_duplicate.sql").write_text("CREATE TABLE duplicate (id int);\n")

    with pytest.raises(MigrationError, match="share a number"):
        await migrate(fresh_url, migrations_copy)

    assert await tables(fresh_url) == set()


async def test_a_failing_migration_keeps_the_ones_before_it_and_is_retried(
    fresh_url: str, migrations_copy: Path
) -> None:
    broken = migrations_copy / "900_broken.sql"  # after every real migration, whatever their number
    broken.write_text("CREATE TABLE half_done (id int);\nCREATE TABLE oops (id no_such_type);\n")

    with pytest.raises(psycopg.Error):
        await migrate(fresh_url, migrations_copy)

    assert await ledger(fresh_url) == expected_ledger()
    assert "half_done" not in await tables(fresh_url)  # the failing file ran in one transaction

    broken.write_text("CREATE TABLE half_done (id int);\n")
    applied = await migrate(fresh_url, migrations_copy)  # the advisory lock was released
    assert [m.version for m in applied] == [900]


async def test_concurrent_runs_apply_each_migration_exactly_once(fresh_url: str) -> None:
    results = await asyncio.gather(*(migrate(fresh_url, MIGRATIONS) for _ in range(4)))

    applied = sorted(m.version for result in results for m in result)
    assert applied == [v for v, _, _ in expected_ledger()]
    assert sorted(len(result) for result in results) == [0, 0, 0, len(MIGRATION_FILES)]
    assert await ledger(fresh_url) == expected_ledger()


async def test_cli_migrate_exits_0_twice(fresh_url: str) -> None:
    env = cli_env(CASCADE_DATABASE_URL=fresh_url, CASCADE_LOG_LEVEL="WARNING")

    first = await run_cli("migrate", env=env)
    second = await run_cli("migrate", env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert await ledger(fresh_url) == expected_ledger()


async def test_cli_migrate_refuses_an_edited_file_with_exit_1(fresh_url: str, migrations_copy: Path) -> None:
    env = cli_env(CASCADE_DATABASE_URL=fresh_url, CASCADE_MIGRATIONS_DIR=str(migrations_copy))
    assert (await run_cli("migrate", env=env)).returncode == 0
    edited = migrations_copy / "001_users.sql"
    edited.write_text(edited.read_text().replace("254", "320"))

    result = await run_cli("migrate", env=env)

    assert result.returncode == 1
    assert "001_users.sql" in result.stderr


async def test_cli_bad_setting_exits_2_and_names_the_variable(fresh_url: str) -> None:
    result = await run_cli("migrate", env=cli_env(CASCADE_DATABASE_URL=fresh_url, CASCADE_PORT="notaport"))

    assert result.returncode == 2
    assert "CASCADE_PORT" in result.stderr
    assert await tables(fresh_url) == set()


async def test_cli_migrate_without_a_database_url_migrates_the_embedded_database(tmp_path: Path) -> None:
    """Without CASCADE_DATABASE_URL a command uses the data dir's embedded PostgreSQL: started for it, then stopped."""
    env = cli_env(CASCADE_DATA_DIR=str(tmp_path), CASCADE_EMBEDDED_POSTGRES_PORT=str(free_port()))
    result = await run_cli("migrate", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert '"event": "migrated"' in result.stdout
    assert not (tmp_path / "postgres" / "pgdata" / "postmaster.pid").exists(), "the database it started is stopped"
    again = await run_cli("migrate", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert '"applied": []' in again.stdout
