"""Security events are fixed, structured log lines: `security_event` with a `kind`, where and from whom —
never the credential that was refused. (The scraper's `service_key_failure`, the webhooks' `webhook_failure`
and the limiter's `rate_limit_hit` are tested with their modules.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.telemetry.logging import configure_logging
from tests.api import make_team


def security_events(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "security_event"]


async def test_refused_authentication_and_authorization_are_security_events(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    team = await make_team(api, "Events")
    capsys.readouterr()
    forged = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged-signature-needle"
    await api.get(team.url("/members"), headers={"Authorization": forged})
    await api.post("/api/v1/auth/login", json={"email": team.owner.email, "password": "wrong password needle"})
    await api.get(team.url("/credentials"), headers=team.member.headers)  # admin+ only

    events = security_events(capsys.readouterr().out)
    kinds = [(e["kind"], e["method"], e["path"]) for e in events]
    assert kinds == [
        ("auth_failure", "GET", team.url("/members")),
        ("auth_failure", "POST", "/api/v1/auth/login"),
        ("authz_failure", "GET", team.url("/credentials")),
    ]
    assert all(e["level"] == "warning" and e["reason"] for e in events)
    text = json.dumps(events)
    assert "forged-signature-needle" not in text
    assert "wrong password needle" not in text
    assert team.member.access_token not in text
