"""R11 for this module: passwords and tokens never reach the logs or error answers."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telemetry.logging import REDACTED, configure_logging, redact
from tests.api import PASSWORD, register


@pytest.fixture
def debug_logs() -> None:
    configure_logging("DEBUG")


async def test_secrets_never_appear_in_logs_or_error_bodies(
    debug_logs: None, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    account = await register(client)
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    access = login.json()["data"]["accessToken"]
    refresh = login.json()["data"]["refreshToken"]
    await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}", "Cookie": "session=abc123cookie"})
    bad = await client.post("/api/v1/auth/refresh", json={"refreshToken": refresh + "x"})
    wrong = await client.post("/api/v1/auth/login", json={"email": account.email, "password": "a wrong secret pw"})
    logs = capsys.readouterr().out
    assert '"event": "request"' in logs, "the access log must be captured for this test to mean anything"
    assert "Bearer" not in logs
    for secret in (PASSWORD, access, refresh, account.refresh_token, "abc123cookie", "a wrong secret pw"):
        assert secret not in logs
        assert secret not in bad.text
        assert secret not in wrong.text


def test_redaction_reaches_nested_fields_of_any_spelling() -> None:
    event = {
        "headers": {"Authorization": "Bearer x", "X-Service-Key": "k", "accept": "json"},
        "body": [{"password": "p", "apiKey": "a", "api_key": "b", "clientSecret": "c", "refreshToken": "t"}],
    }
    assert redact(event) == {
        "headers": {"Authorization": REDACTED, "X-Service-Key": REDACTED, "accept": "json"},
        "body": [dict.fromkeys(("password", "apiKey", "api_key", "clientSecret", "refreshToken"), REDACTED)],
    }
