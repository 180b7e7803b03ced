"""Key rotation: the use case on both backends, and `cascade keys rotate` on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.postgres.credentials import PostgresCredentialReader
from adapters.postgres.migrator import migrate
from adapters.postgres.pool import open_pool
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.postgres.webhooks import PostgresWebhookReader
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.credential.create_credential import CreateCredential, CreateCredentialCommand
from application.credential.rotate_credential_keys import (
    RotateCredentialKeys,
    RotateCredentialKeysCommand,
    RotationProgress,
)
from application.webhook.rotate_webhook_keys import RotateWebhookKeys, RotateWebhookKeysCommand
from domain.credentials.credential import Credential, SealedSecret
from domain.kernel.errors import SecretUnreadable, ValidationFailed
from domain.kernel.permissions import Role
from domain.webhooks.webhook import SECRET_PREFIX, WebhookSubscription, secret_context
from ports.credentials import CredentialReader
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader
from tests.conftest import MIGRATIONS, Backend, create_database
from tests.support.builders.accounts import new_membership, new_user, new_workspace, persist
from tests.support.builders.credentials import new_credential, store
from tests.support.builders.webhooks import new_webhook, sealed_secret
from tests.support.keyring import box, ring

CASCADE = Path(sys.executable).parent / "cascade"


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


# --- webhook secrets ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SeededWebhooks:
    """Webhooks sealed with a box: workspace id, current and previous plaintext (if any) by webhook id."""

    secrets: dict[UUID, tuple[UUID, str, str | None]]

    async def stored(self, reader: WebhookReader) -> list[WebhookSubscription]:
        found = [await reader.get(ws, wid) for wid, (ws, _, _) in self.secrets.items()]
        return [w for w in found if w is not None]

    def assert_open_with(self, opener: AesGcmSecretBox, webhooks: list[WebhookSubscription]) -> None:
        assert len(webhooks) == len(self.secrets)
        for webhook in webhooks:
            _, current, previous = self.secrets[webhook.id]
            context = secret_context(webhook.workspace_id, webhook.id)
            assert opener.open(webhook.sealed_secret, context=context) == current
            if previous is None:
                assert webhook.previous_secret is None
            else:
                assert webhook.previous_secret is not None
                assert opener.open(webhook.previous_secret, context=context) == previous


def sealed_webhook(
    webhook: WebhookSubscription, current: tuple[AesGcmSecretBox, str], previous: tuple[AesGcmSecretBox, str] | None
) -> WebhookSubscription:
    """The webhook with its secrets sealed for real, each by the box named with it."""
    context = secret_context(webhook.workspace_id, webhook.id)
    if previous is None:
        return replace(webhook, sealed_secret=current[0].seal(current[1], context=context))
    return replace(
        webhook,
        sealed_secret=current[0].seal(current[1], context=context),
        previous_secret=previous[0].seal(previous[1], context=context),
        previous_secret_expires_at=webhook.created_at + timedelta(days=1),
    )


async def seed_webhooks(
    uow: Callable[[], UnitOfWork], sealer: AesGcmSecretBox, count: int, *, newer: AesGcmSecretBox | None = None
) -> SeededWebhooks:
    """`count` webhooks sealed by `sealer`; every second one rotated by its owner (it has a previous secret), and
    the fourth's current secret sealed by `newer` when given (its owner rotated it after the new key came)."""
    owner = new_user()
    workspaces = [new_workspace(owner), new_workspace(owner)]
    webhooks: list[WebhookSubscription] = []
    secrets: dict[UUID, tuple[UUID, str, str | None]] = {}
    for i in range(count):
        current = f"{SECRET_PREFIX}current-{i}-{uuid4().hex}"
        previous = f"{SECRET_PREFIX}previous-{i}-{uuid4().hex}" if i % 2 else None
        current_sealer = newer if newer is not None and i == 3 else sealer
        webhook = sealed_webhook(
            new_webhook(workspaces[i % 2]),
            (current_sealer, current),
            None if previous is None else (sealer, previous),
        )
        webhooks.append(webhook)
        secrets[webhook.id] = (webhook.workspace_id, current, previous)
    async with uow() as tx:
        await tx.users.add(owner)
        for workspace in workspaces:
            await tx.workspaces.add(workspace)
        for webhook in webhooks:
            await tx.webhooks.add(webhook)
        await tx.commit()
    return SeededWebhooks(secrets)


def webhook_rotation(uow: UnitOfWork, reader: WebhookReader, *names: str) -> RotateWebhookKeys:
    return RotateWebhookKeys(uow, reader, box(*names), SystemClock())


async def test_rotation_moves_both_secrets_of_every_webhook_to_the_active_key_in_batches(backend: Backend) -> None:
    seeded = await seed_webhooks(backend.uow, box("v1"), 6, newer=box("v2"))
    before = {w.id: w for w in await seeded.stored(backend.webhooks)}
    seen: list[RotationProgress] = []

    result = await webhook_rotation(backend.uow(), backend.webhooks, "v2", "v1")(
        RotateWebhookKeysCommand(batch_size=4, on_progress=seen.append)
    )

    assert (result.total, result.rotated, result.unreadable, result.key_version) == (6, 6, (), "v2")
    assert [(p.total, p.rotated) for p in seen] == [(6, 0), (6, 4), (6, 6)]
    after = await seeded.stored(backend.webhooks)
    assert {w.sealed_secret.key_version for w in after} == {"v2"}
    assert {w.previous_secret.key_version for w in after if w.previous_secret} == {"v2"}
    seeded.assert_open_with(box("v2"), after)  # v1 is no longer needed
    for webhook in after:  # nothing but the sealed secrets changed: rotation is not an edit
        old = before[webhook.id]
        assert replace(webhook, sealed_secret=old.sealed_secret, previous_secret=old.previous_secret) == old
        assert webhook.sealed_secret.nonce != old.sealed_secret.nonce


async def test_a_second_webhook_run_re_encrypts_nothing_and_webhooks_under_the_key_are_untouched(
    backend: Backend,
) -> None:
    seeded = await seed_webhooks(backend.uow, box("v1"), 3)
    already = await seed_webhooks(backend.uow, box("v2"), 2)
    untouched = await already.stored(backend.webhooks)
    rotate = webhook_rotation(backend.uow(), backend.webhooks, "v2", "v1")
    first = await rotate(RotateWebhookKeysCommand())
    once = await seeded.stored(backend.webhooks)

    again = await rotate(RotateWebhookKeysCommand())

    assert (first.total, first.rotated) == (3, 3)
    assert (again.total, again.rotated, again.unreadable) == (0, 0, ())
    assert await seeded.stored(backend.webhooks) == once
    assert await already.stored(backend.webhooks) == untouched


async def test_a_webhook_with_a_secret_no_key_opens_is_reported_and_left_alone(backend: Backend) -> None:
    seeded = await seed_webhooks(backend.uow, box("v1"), 3)
    owner = new_user()
    workspace = new_workspace(owner)
    lost = new_webhook(workspace)  # random bytes under "v1": no key opens it
    half_lost = sealed_webhook(new_webhook(workspace), (box("v1"), f"{SECRET_PREFIX}readable"), None)
    half_lost = replace(
        half_lost,
        previous_secret=sealed_secret("v0"),  # its key was thrown away
        previous_secret_expires_at=half_lost.created_at + timedelta(hours=1),
    )
    await persist(backend, owner, workspace)
    async with backend.uow() as tx:
        await tx.webhooks.add(lost)
        await tx.webhooks.add(half_lost)
        await tx.commit()

    result = await webhook_rotation(backend.uow(), backend.webhooks, "v2", "v1")(RotateWebhookKeysCommand(batch_size=2))

    assert (result.total, result.rotated) == (5, 3)
    assert sorted(result.unreadable) == sorted([lost.id, half_lost.id])
    assert await backend.webhooks.get(workspace.id, lost.id) == lost
    assert await backend.webhooks.get(workspace.id, half_lost.id) == half_lost  # its readable secret too
    seeded.assert_open_with(box("v2"), await seeded.stored(backend.webhooks))


async def test_a_bad_webhook_batch_size_is_refused(backend: Backend) -> None:
    rotate = webhook_rotation(backend.uow(), backend.webhooks, "v2")
    for size in (0, -1, 10_001):
        with pytest.raises(ValidationFailed):
            await rotate(RotateWebhookKeysCommand(batch_size=size))


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


def assert_unreadable(opener: AesGcmSecretBox, sealed: SealedSecret, context: bytes) -> None:
    with pytest.raises(SecretUnreadable):
        opener.open(sealed, context=context)


async def test_cli_rotates_webhook_secrets_on_postgres_after_the_credentials(
    rotation_db: tuple[str, AsyncConnectionPool],
) -> None:
    url, pool = rotation_db
    reader = PostgresWebhookReader(pool)
    credentials = await seed(lambda: PostgresUnitOfWork(pool), box("v1"), 2)
    webhooks = await seed_webhooks(lambda: PostgresUnitOfWork(pool), box("v1"), 3)

    first = await asyncio.to_thread(cli, url, ring("v2", "v1"), "--batch-size", "2")
    second = await asyncio.to_thread(cli, url, ring("v2", "v1"))

    assert first.returncode == 0, first.stderr
    assert "re-encrypted 2 credential(s) to key v2" in first.stdout
    assert "re-encrypted the secrets of 3 webhook(s) to key v2" in first.stdout
    assert first.stdout.index("credential(s) to key") < first.stdout.index("webhook(s) to key")
    assert "2/2" in first.stdout  # the last state of the credentials' progress bar
    assert "3/3" in first.stdout  # and of the webhooks'
    assert second.returncode == 0, second.stderr
    assert "re-encrypted 0 credential(s) to key v2" in second.stdout
    assert "re-encrypted the secrets of 0 webhook(s) to key v2" in second.stdout
    credentials.assert_open_with(box("v2"), await credentials.stored(PostgresCredentialReader(pool)))
    stored = await webhooks.stored(reader)
    webhooks.assert_open_with(box("v2"), stored)  # under the new key only: v1 opens none of them
    for webhook in stored:
        context = secret_context(webhook.workspace_id, webhook.id)
        assert_unreadable(box("v1"), webhook.sealed_secret, context)
        if webhook.previous_secret is not None:
            assert_unreadable(box("v1"), webhook.previous_secret, context)
    assert any(w.previous_secret is not None for w in stored)


async def test_cli_reports_webhooks_no_configured_key_opens_and_exits_1(
    rotation_db: tuple[str, AsyncConnectionPool],
) -> None:
    url, pool = rotation_db
    reader = PostgresWebhookReader(pool)
    credentials = await seed(lambda: PostgresUnitOfWork(pool), box("v2"), 1)  # already under the active key
    lost = await seed_webhooks(lambda: PostgresUnitOfWork(pool), box("v1"), 2)
    kept = await seed_webhooks(lambda: PostgresUnitOfWork(pool), box("v2"), 1)

    result = await asyncio.to_thread(cli, url, ring("v3", "v2"))  # v1 was thrown away

    assert result.returncode == 1
    assert "2 webhook(s) have a secret that could not be decrypted" in result.stderr
    assert "credential(s) could not be decrypted" not in result.stderr
    for webhook_id in lost.secrets:
        assert str(webhook_id) in result.stderr
    assert "re-encrypted 1 credential(s) to key v3" in result.stdout
    assert "re-encrypted the secrets of 1 webhook(s) to key v3" in result.stdout
    lost.assert_open_with(box("v1"), await lost.stored(reader))
    kept.assert_open_with(box("v3"), await kept.stored(reader))
    credentials.assert_open_with(box("v3"), await credentials.stored(PostgresCredentialReader(pool)))


async def test_an_expired_previous_secret_is_dropped_not_reported_even_if_its_key_is_gone(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    current = f"{SECRET_PREFIX}current"
    webhook = replace(
        sealed_webhook(new_webhook(workspace), (box("v1"), current), None),
        previous_secret=sealed_secret("v0"),  # sealed by a key thrown away since
        previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1),  # and it signs nothing any more
    )
    async with backend.uow() as tx:
        await tx.users.add(owner)
        await tx.workspaces.add(workspace)
        await tx.webhooks.add(webhook)
        await tx.commit()

    result = await webhook_rotation(backend.uow(), backend.webhooks, "v2", "v1")(RotateWebhookKeysCommand())

    assert (result.rotated, result.unreadable) == (1, ())
    after = await backend.webhooks.get(workspace.id, webhook.id)
    assert after is not None
    assert after.previous_secret is None
    assert after.previous_secret_expires_at is None
    context = secret_context(workspace.id, webhook.id)
    assert after.sealed_secret.key_version == "v2"
    assert box("v2").open(after.sealed_secret, context=context) == current
