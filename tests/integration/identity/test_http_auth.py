from __future__ import annotations

from typing import Any

from tests.api import PASSWORD, assert_error, register


async def test_register_returns_a_session_and_normalizes_the_email(client: Any) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "  Ann@Example.COM ", "password": PASSWORD, "name": " Ann  Lee "}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["error"] is None
    data = body["data"]
    assert data["user"]["email"] == "ann@example.com"
    assert data["user"]["name"] == "Ann Lee"
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 900
    assert data["accessToken"]
    assert data["refreshToken"]
    assert response.headers["cache-control"] == "no-store"


async def test_duplicate_email_is_a_conflict_whatever_its_case(client: Any) -> None:
    account = await register(client)
    response = await client.post(
        "/api/v1/auth/register", json={"email": account.email.upper(), "password": PASSWORD, "name": "Again"}
    )
    assert_error(response, 409, "CONFLICT")


async def test_short_password_is_rejected(client: Any) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "short@example.com", "password": "123456789", "name": "S"}
    )
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert error["details"][0]["field"] == "password"


async def test_login_me_refresh_logout(client: Any) -> None:
    account = await register(client)
    login = await client.post("/api/v1/auth/login", json={"email": account.email.upper(), "password": PASSWORD})
    assert login.status_code == 200
    tokens = login.json()["data"]

    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['accessToken']}"})
    assert me.status_code == 200
    assert me.json()["data"] == {"id": account.id, "email": account.email, "name": "user", "platformAdmin": False}

    refreshed = await client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["data"]["refreshToken"]
    assert new_refresh != tokens["refreshToken"]

    logout = await client.post("/api/v1/auth/logout", json={"refreshToken": new_refresh})
    assert logout.status_code == 204
    assert logout.content == b""
    after = await client.post("/api/v1/auth/refresh", json={"refreshToken": new_refresh})
    assert_error(after, 401, "UNAUTHORIZED")


async def test_unknown_user_and_wrong_password_look_the_same(client: Any) -> None:
    account = await register(client)
    wrong = await client.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password!"})
    unknown = await client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert assert_error(wrong, 401, "UNAUTHORIZED")["message"] == assert_error(unknown, 401, "UNAUTHORIZED")["message"]


async def test_reused_refresh_token_revokes_the_whole_family(client: Any) -> None:
    account = await register(client)
    first = await client.post("/api/v1/auth/refresh", json={"refreshToken": account.refresh_token})
    successor = first.json()["data"]["refreshToken"]

    replay = await client.post("/api/v1/auth/refresh", json={"refreshToken": account.refresh_token})
    assert_error(replay, 401, "UNAUTHORIZED")
    # the thief's replay also kills the legitimate successor
    assert_error(await client.post("/api/v1/auth/refresh", json={"refreshToken": successor}), 401, "UNAUTHORIZED")


async def test_login_is_rate_limited_per_email_with_retry_after(client: Any) -> None:
    account = await register(client)
    for _ in range(10):
        response = await client.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password!"})
        assert response.status_code == 401
    limited = await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert_error(limited, 429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["retry-after"]) <= 900


async def test_me_needs_a_bearer_token(client: Any) -> None:
    assert_error(await client.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    assert_error(await client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")
