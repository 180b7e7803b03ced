"""R11 for credentials: the plaintext (and the JWT) appears in no log line, answer, error or audit row,
and PostgreSQL holds only ciphertext."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.telemetry.logging import configure_logging
from tests.api import Team, make_team, register

PLAINTEXT = "pk_live_R11-Plaintext-Needle-7Gq2"
REPLACEMENT = "pk_live_R11-Replacement-Needle-Zk9w"


@pytest.fixture
def debug_logs() -> None:
    configure_logging("DEBUG")


async def exercise(api: Any) -> tuple[Team, list[Any], list[str]]:
    """Create, read, change and delete credentials, and fail in every way we can; return answers and JWTs."""
    team = await make_team(api, "Credentials")
    admin = team.admin.headers
    responses = [
        await api.post(
            team.url("/credentials"), json={"provider": "apollo", "label": "Needle", "secret": PLAINTEXT}, headers=admin
        )
    ]
    url = f"{team.url('/credentials')}/{responses[0].json()['data']['id']}"
    outsider = await register(api, "outsider")
    responses += [
        await api.get(team.url("/credentials"), headers=admin),
        await api.get(url, headers=team.owner.headers),
        await api.patch(url, json={"label": "Needle 2"}, headers=admin),
        await api.patch(url, json={"secret": REPLACEMENT}, headers=admin),
        # every way of failing, each carrying a plaintext
        await api.post(
            team.url("/credentials"), json={"provider": "nope", "label": "x", "secret": PLAINTEXT}, headers=admin
        ),
        await api.post(
            team.url("/credentials"),
            json={"provider": "apollo", "label": "x", "secret": PLAINTEXT + "\n"},
            headers=admin,
        ),
        await api.post(
            team.url("/credentials"),
            json={"provider": "apollo", "label": "x", "secret": PLAINTEXT * 200},
            headers=admin,
        ),
        await api.post(
            team.url("/credentials"),
            json={"provider": "apollo", "label": "x", "secret": PLAINTEXT, "x": 1},
            headers=admin,
        ),
        await api.post(team.url("/credentials"), json={"provider": "apollo", "secret": REPLACEMENT}, headers=admin),
        await api.patch(url, json={"secret": PLAINTEXT, "label": "\x00"}, headers=admin),
        await api.patch(f"{team.url('/credentials')}/{team.workspace}", json={"secret": PLAINTEXT}, headers=admin),
        await api.patch(url, json={"secret": REPLACEMENT}, headers=team.member.headers),
        await api.patch(url, json={"secret": REPLACEMENT}, headers=outsider.headers),
        await api.post(
            team.url("/credentials"),
            content=b'{"secret": "' + PLAINTEXT.encode() + b'"',  # malformed JSON
            headers={**admin, "Content-Type": "application/json"},
        ),
        await api.get(team.url("/audit-log"), params={"limit": 200}, headers=admin),
    ]
    responses.append(await api.delete(url, headers=admin))
    responses.append(await api.get(team.url("/audit-log"), params={"limit": 200}, headers=admin))
    statuses = [201, 200, 200, 200, 200, 422, 422, 422, 422, 422, 422, 404, 403, 404, 400, 200, 204, 200]
    assert [r.status_code for r in responses] == statuses
    tokens = [a.access_token for a in (team.owner, team.admin, team.member, team.viewer, outsider)]
    return team, responses, tokens


async def test_the_plaintext_and_the_jwt_never_reach_logs_answers_or_the_audit_log(
    debug_logs: None, api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, responses, tokens = await exercise(api)
    captured = capsys.readouterr()
    logs = captured.out + captured.err

    assert '"event": "request"' in logs, "the access log must be captured for this test to mean anything"
    audit = responses[-1].json()["data"]
    assert [e["action"] for e in audit] == [
        "credential.deleted",
        "credential.updated",
        "credential.updated",
        "credential.created",
    ]
    for needle in (PLAINTEXT, REPLACEMENT, *tokens):
        assert needle not in logs
        for response in responses:
            assert needle not in response.text
            assert all(needle not in value for value in response.headers.values())
        assert needle not in str(audit)
    for error in (r.json()["error"] for r in responses if r.status_code >= 400):
        assert PLAINTEXT not in str(error)


async def test_postgres_holds_only_ciphertext(
    debug_logs: None, pg_client: Any, clean_pool: AsyncConnectionPool, capsys: pytest.CaptureFixture[str]
) -> None:
    team, _, _ = await exercise(pg_client)
    survivor = await pg_client.post(
        team.url("/credentials"),
        json={"provider": "hunter", "label": "Kept", "secret": PLAINTEXT},
        headers=team.owner.headers,
    )
    assert survivor.status_code == 201, survivor.text

    async with clean_pool.connection() as conn:
        credentials = await (await conn.execute("SELECT * FROM credentials")).fetchall()
        audit = await (await conn.execute("SELECT * FROM audit_log")).fetchall()
        sealed = await (await conn.execute("SELECT ciphertext, nonce, key_version FROM credentials")).fetchall()

    assert len(credentials) == 1
    assert len(audit) == 5
    for row in [*credentials, *audit]:
        for value in row:
            as_bytes = value if isinstance(value, bytes) else str(value).encode()
            assert PLAINTEXT.encode() not in as_bytes
            assert REPLACEMENT.encode() not in as_bytes
            assert PLAINTEXT[:-4].encode() not in as_bytes  # not even the part the mask hides
    ciphertext, nonce, key_version = sealed[0]
    assert len(nonce) == 12
    assert len(ciphertext) == len(PLAINTEXT.encode()) + 16
    assert key_version == "test"
    assert PLAINTEXT not in capsys.readouterr().out
