"""Applies `migrations/postgres/NNN_name.sql` in order, once, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

# Any fixed 64-bit number; every migrator uses the same one.
ADVISORY_LOCK_KEY = 0x6361_7363_6164_6501
_FILE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
RECORD_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES (%(v)s, %(n)s, %(c)s)"
LOCK_MIGRATIONS = "SELECT pg_advisory_lock(%(key)s)"
UNLOCK_MIGRATIONS = "SELECT pg_advisory_unlock(%(key)s)"


class MigrationError(Exception):
    pass


@dataclass(slots=True, kw_only=True, frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_name.sql")
        migrations.append(Migration(version=int(match[1]), name=match[2], sql=path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a number")
    return migrations


async def migrate(url: str, directory: Path) -> list[Migration]:
    """Apply what is pending and return it. Refuses if an applied file was edited or removed."""
    migrations = discover(directory)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(LOCK_MIGRATIONS, {"key": ADVISORY_LOCK_KEY})
        try:
            await conn.execute(CREATE_LEDGER)
            applied = {row[0]: row for row in await (await conn.execute(SELECT_APPLIED)).fetchall()}
            _verify(applied, migrations)
            pending = [m for m in migrations if m.version not in applied]
            for migration in pending:
                async with conn.transaction():
                    await conn.execute(migration.sql.encode())
                    await conn.execute(
                        RECORD_APPLIED, {"v": migration.version, "n": migration.name, "c": migration.checksum}
                    )
            return pending
        finally:
            await conn.execute(UNLOCK_MIGRATIONS, {"key": ADVISORY_LOCK_KEY})


def _verify(applied: dict[int, tuple[int, str, str]], migrations: list[Migration]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, name, checksum in applied.values():
        migration = by_version.get(version)
        label = f"{version:03d}_{name}.sql"
        if migration is None:
            raise MigrationError(f"{label} was applied but its file is missing")
        if migration.checksum != checksum:
            raise MigrationError(f"{label} was edited after it was applied; add a new migration instead")
