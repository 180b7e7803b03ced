"""R11 for this module: passwords and tokens never reach the logs or error answers."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telemetry.logging import REDACTED, configure_logging, is_sensitive, redact, redact_path
from tests.api import PASSWORD, make_team, register


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


async def test_tokens_in_paths_and_query_strings_never_reach_the_logs(
    debug_logs: None, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The invitation token travels in the body; one put in a path (an old link) or a query is redacted too."""
    team = await make_team(client, "Logged")
    invited = await client.post(
        team.url("/invitations"), json={"email": "logged@example.com", "role": "admin"}, headers=team.owner.headers
    )
    token = invited.json()["data"]["token"]
    guest = await client.post(
        "/api/v1/auth/register", json={"email": "logged@example.com", "password": PASSWORD, "name": "Guest"}
    )
    guest_headers = {"Authorization": f"Bearer {guest.json()['data']['accessToken']}"}
    capsys.readouterr()

    old_link = await client.post(f"/api/v1/invitations/{token}/accept", headers=guest_headers)
    assert old_link.status_code in {404, 405}
    queried = await client.get(
        team.url("/members"), params={"token": token, "apiKey": "query-api-key-needle"}, headers=team.owner.headers
    )
    assert queried.status_code == 200
    access = team.owner.access_token
    await client.get(f"/api/v1/workspaces/{access}", headers=team.owner.headers)  # a JWT pasted into a path
    refused = await client.get(team.url("/credentials"), params={"token": token}, headers=team.member.headers)
    assert refused.status_code == 403  # admin+ only: a security event
    accepted = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=guest_headers)
    assert accepted.status_code == 200, accepted.text

    logs = capsys.readouterr().out
    assert logs.count('"event": "request"') >= 5
    assert '"event": "security_event"' in logs, "the refused request must be logged for this test to mean anything"
    assert REDACTED in logs
    for secret in (token, access, "query-api-key-needle"):
        assert secret not in logs


def test_no_route_carries_a_secret_in_its_path() -> None:
    """A path ends up in access logs, proxies and browser history: secrets go in bodies or headers."""
    from entrypoints.http.app import create_app
    from tests.conftest import test_settings

    app = create_app(test_settings())
    secret_params = [(route.path, name) for route in app.routes for name in route.path_parameters if is_sensitive(name)]
    assert secret_params == []


def test_paths_are_logged_with_secret_parameters_and_token_like_segments_redacted() -> None:
    workspace = "0b9c1e4c-6a43-4d5e-9d1e-2f6a3b5c7d8e"
    assert redact_path(f"/api/v1/workspaces/{workspace}/records") == f"/api/v1/workspaces/{workspace}/records"
    assert redact_path("/api/v1/things/short-id/accept", {"token": "short-id"}) == f"/api/v1/things/{REDACTED}/accept"
    opaque = "Zx8dP2bQk9LmN3vR5tYw7uIo1aSdFgHjKl0pQwErTyU"  # secrets.token_urlsafe(32)
    assert redact_path(f"/api/v1/invitations/{opaque}/accept") == f"/api/v1/invitations/{REDACTED}/accept"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert redact_path(f"/x/{jwt}") == f"/x/{REDACTED}"
    assert redact_path("/api/v1/workspaces/x/webhooks/rotate-secret") == "/api/v1/workspaces/x/webhooks/rotate-secret"
    assert redact_path("https://api.hunter.io/v2/email-finder") == "https://api.hunter.io/v2/email-finder"
