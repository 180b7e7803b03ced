"""Key rotation: the use case on both backends, and `cascade keys rotate` on PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import parse_keyring
from adapters.postgres.credentials import PostgresCredentialReader
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.credential.create_credential import CreateCredential, CreateCredentialCommand
from application.credential.rotate_credential_keys import (
    RotateCredentialKeys,
    RotateCredentialKeysCommand,
    RotationProgress,
)
from domain.credentials import Credential
from domain.errors import ValidationFailed
from domain.permissions import Role
from ports.credentials import CredentialReader
from ports.unit_of_work import UnitOfWork
from tests.conftest import MIGRATIONS, Backend, create_database
from tests.contract.builders import new_membership, new_user, new_workspace, persist
from tests.contract.credential_builders import new_credential, store

CASCADE = Path(sys.executable).parent / "cascade"
KEYS = {name: base64.b64encode(os.urandom(32)).decode() for name in ("v1", "v2", "v3")}


def ring(*names: str) -> str:
    return ",".join(f"{name}:{KEYS[name]}" for name in names)


def box(*names: str) -> AesGcmSecretBox:
    return AesGcmSecretBox(parse_keyring(ring(*names)))


@dataclass(slots=True)
class Seeded:
    """Credentials created through the use case: workspace id and plaintext by credential id."""

    secrets: dict[UUID, tuple[UUID, str]]

    async def stored(self, reader: CredentialReader) -> list[Credential]:
        found = [await reader.get(ws, cid) for cid, (ws, _) in self.secrets.items()]
        return [c for c in found if c is not None]

    def assert_open_with(self, opener: AesGcmSecretBox, credentials: list[Credential]) -> None:
        assert len(credentials) == len(self.secrets)
        for credential in credentials:
            assert opener.open(credential.sealed, context=credential.context) == self.secrets[credential.id][1]


async def seed(uow: Callable[[], UnitOfWork], sealer: AesGcmSecretBox, count: int) -> Seeded:
    owner = new_user()
    workspaces = [new_workspace(owner), new_workspace(owner)]
    async with uow() as tx:
        await tx.users.add(owner)
        for workspace in workspaces:
            await tx.workspaces.add(workspace)
            await tx.memberships.add(new_membership(workspace, owner, Role.OWNER))
        await tx.commit()
    create = CreateCredential(uow(), sealer, SystemClock(), Uuid7Generator())
    secrets: dict[UUID, tuple[UUID, str]] = {}
    for i in range(count):
        workspace = workspaces[i % 2]
        secret = f"secret-number-{i}-{uuid4().hex}"
        credential = await create(
            CreateCredentialCommand(
                actor_id=owner.id, workspace_id=workspace.id, provider="hunter", label=f"Key {i}", secret=secret
            )
        )
        secrets[credential.id] = (workspace.id, secret)
    return Seeded(secrets)


def rotation(uow: UnitOfWork, reader: CredentialReader, *names: str) -> RotateCredentialKeys:
    return RotateCredentialKeys(uow, reader, box(*names))


async def test_rotation_moves_every_credential_to_the_active_key_in_batches(backend: Backend) -> None:
    seeded = await seed(backend.uow, box("v1"), 5)
    before = await seeded.stored(backend.credentials)
    seen: list[RotationProgress] = []

    result = await rotation(backend.uow(), backend.credentials, "v2", "v1")(
        RotateCredentialKeysCommand(batch_size=2, on_progress=seen.append)
    )

    assert (result.total, result.rotated, result.unreadable, result.key_version) == (5, 5, (), "v2")
    assert [(p.total, p.rotated) for p in seen] == [(5, 0), (5, 2), (5, 4), (5, 5)]
    after = await seeded.stored(backend.credentials)
    assert {c.sealed.key_version for c in after} == {"v2"}
    seeded.assert_open_with(box("v2"), after)  # v1 is no longer needed
    # nothing but the sealed secret changed: rotation is not an edit
    assert [(c.label, c.last4, c.updated_at) for c in after] == [(c.label, c.last4, c.updated_at) for c in before]
    assert all(a.sealed.nonce != b.sealed.nonce for a, b in zip(after, before, strict=True))


async def test_a_second_run_re_encrypts_nothing(backend: Backend) -> None:
    seeded = await seed(backend.uow, box("v1"), 3)
    rotate = rotation(backend.uow(), backend.credentials, "v2", "v1")
    await rotate(RotateCredentialKeysCommand())
    once = await seeded.stored(backend.credentials)

    again = await rotate(RotateCredentialKeysCommand())

    assert (again.total, again.rotated) == (0, 0)
    assert await seeded.stored(backend.credentials) == once


async def test_an_interrupted_run_keeps_its_committed_batches_and_a_re_run_finishes(backend: Backend) -> None:
    seeded = await seed(backend.uow, box("v1"), 5)

    def interrupt_after_first_batch(progress: RotationProgress) -> None:
        if progress.rotated:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await rotation(backend.uow(), backend.credentials, "v2", "v1")(
            RotateCredentialKeysCommand(batch_size=2, on_progress=interrupt_after_first_batch)
        )
    halfway = await seeded.stored(backend.credentials)
    assert sorted(c.sealed.key_version for c in halfway) == ["v1", "v1", "v1", "v2", "v2"]
    seeded.assert_open_with(box("v2", "v1"), halfway)

    result = await rotation(backend.uow(), backend.credentials, "v2", "v1")(RotateCredentialKeysCommand(batch_size=2))

    assert (result.total, result.rotated) == (3, 3)
    seeded.assert_open_with(box("v2"), await seeded.stored(backend.credentials))


async def test_a_credential_no_key_opens_is_reported_and_left_alone(backend: Backend) -> None:
    seeded = await seed(backend.uow, box("v1"), 3)
    owner = new_user()
    workspace = new_workspace(owner)
    lost = new_credential(workspace, owner, key_version="v0")  # its key was thrown away
    await persist(backend, owner, workspace)
    await store(backend, lost)

    result = await rotation(backend.uow(), backend.credentials, "v2", "v1")(RotateCredentialKeysCommand(batch_size=1))

    assert (result.total, result.rotated, result.unreadable) == (4, 3, (lost.id,))
    assert await backend.credentials.get(workspace.id, lost.id) == lost
    seeded.assert_open_with(box("v2"), await seeded.stored(backend.credentials))


async def test_a_bad_batch_size_is_refused(backend: Backend) -> None:
    rotate = rotation(backend.uow(), backend.credentials, "v2")
    for size in (0, -1, 10_001):
        with pytest.raises(ValidationFailed):
            await rotate(RotateCredentialKeysCommand(batch_size=size))


# --- the command line, on PostgreSQL -----------------------------------------------------------------------


def cli(url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env.update(CASCADE_DATABASE_URL=url, CASCADE_ENCRYPTION_KEYS=keys, CASCADE_LOG_LEVEL="WARNING")
    return subprocess.run(
        [str(CASCADE), "keys", "rotate", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
async def rotation_db(postgres_url: str) -> AsyncIterator[tuple[str, AsyncConnectionPool]]:
    url = await create_database(postgres_url, f"rotation_{uuid4().hex[:12]}")
    await migrate(url, MIGRATIONS)
    pool = await open_pool(url, min_size=1, max_size=4, acquire_timeout=10)
    yield url, pool
    await pool.close()


async def test_cli_rotates_on_postgres_and_a_second_run_re_encrypts_0(
    rotation_db: tuple[str, AsyncConnectionPool],
) -> None:
    url, pool = rotation_db
    reader = PostgresCredentialReader(pool)
    seeded = await seed(lambda: PostgresUnitOfWork(pool), box("v1"), 5)

    first = await asyncio.to_thread(cli, url, ring("v2", "v1"), "--batch-size", "2")
    second = await asyncio.to_thread(cli, url, ring("v2", "v1"))

    assert first.returncode == 0, first.stderr
    assert "re-encrypted 5 credential(s) to key v2" in first.stdout
    assert "5/5" in first.stdout  # the progress bar's last state
    assert second.returncode == 0, second.stderr
    assert "re-encrypted 0 credential(s) to key v2" in second.stdout
    seeded.assert_open_with(box("v2"), await seeded.stored(reader))


async def test_cli_reports_credentials_no_configured_key_opens_and_exits_1(
    rotation_db: tuple[str, AsyncConnectionPool],
) -> None:
    url, pool = rotation_db
    reader = PostgresCredentialReader(pool)
    seeded = await seed(lambda: PostgresUnitOfWork(pool), box("v1"), 2)

    result = await asyncio.to_thread(cli, url, ring("v3", "v2"))  # v1 was thrown away

    assert result.returncode == 1
    assert "2 credential(s) could not be decrypted" in result.stderr
    for credential_id in seeded.secrets:
        assert str(credential_id) in result.stderr
    assert "re-encrypted 0 credential(s) to key v3" in result.stdout
    seeded.assert_open_with(box("v1"), await seeded.stored(reader))
