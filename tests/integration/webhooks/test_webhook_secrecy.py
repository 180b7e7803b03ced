"""R11 for webhook secrets: each is answered once (by create or rotate) and appears nowhere else — not in a log
line, another answer, a delivery, its attempt log or the audit log — and PostgreSQL holds only its ciphertext."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool

from adapters.telemetry.logging import configure_logging
from entrypoints.http.app import create_app
from tests.api import make_team
from tests.conftest import test_settings
from tests.fakes.receiver import running_receiver


@pytest.fixture
async def webhook_api(migrated_url: str, clean_pool: AsyncConnectionPool) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = test_settings(
        profile="local", database_url=migrated_url, network_allowlist="127.0.0.1/32", webhook_poll_seconds=0.05
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_webhook_secrets_are_answered_once_and_stored_sealed(
    webhook_api: Any, clean_pool: AsyncConnectionPool, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG")
    team = await make_team(webhook_api, "Hooks")
    admin = team.admin.headers
    with running_receiver() as receiver:
        created = await webhook_api.post(
            team.url("/webhooks"), json={"url": receiver.url, "events": ["job.completed"]}, headers=admin
        )
        assert created.status_code == 201, created.text
        first = created.json()["data"]["secret"]
        url = f"{team.url('/webhooks')}/{created.json()['data']['id']}"
        rotated = await webhook_api.post(f"{url}/rotate-secret", headers=admin)
        second = rotated.json()["data"]["secret"]
        others = [
            await webhook_api.get(team.url("/webhooks"), headers=admin),
            await webhook_api.get(url, headers=team.owner.headers),
            await webhook_api.patch(url, json={"events": ["job.completed", "job.failed"]}, headers=admin),
            await webhook_api.post(f"{url}/test", headers=admin),
            await webhook_api.get(f"{url}/deliveries", headers=admin),
            await webhook_api.get(url, headers=team.member.headers),  # 403
            await webhook_api.get(team.url("/audit-log"), headers=admin),
        ]
        ping = others[3].json()["data"]
        others.append(await webhook_api.get(f"{url}/deliveries/{ping['id']}", headers=admin))
        (arrived,) = await receiver.wait_for(1)
    logs = capsys.readouterr().out

    assert ping["status"] == "succeeded"
    assert '"event": "request"' in logs, "the access log must be captured for this test to mean anything"
    assert first != second
    for secret in (first, second):
        assert secret.startswith("whsec_")
        assert secret not in logs
        for response in others:
            assert secret not in response.text
            assert all(secret not in value for value in response.headers.values())
        assert secret not in arrived.body.decode()
        assert all(secret not in value for value in arrived.headers.values()), "signed with it, never sent"
    assert second not in created.text
    assert first not in rotated.text

    async with clean_pool.connection() as conn:
        rows = [
            *await (await conn.execute("SELECT * FROM webhook_subscriptions")).fetchall(),
            *await (await conn.execute("SELECT * FROM webhook_deliveries")).fetchall(),
            *await (await conn.execute("SELECT * FROM webhook_delivery_attempts")).fetchall(),
            *await (await conn.execute("SELECT * FROM audit_log")).fetchall(),
        ]
    assert rows
    for row in rows:
        for value in row:
            as_bytes = value if isinstance(value, bytes) else str(value).encode()
            for secret in (first, second):
                assert secret.encode() not in as_bytes
                assert secret.removeprefix("whsec_").encode() not in as_bytes
