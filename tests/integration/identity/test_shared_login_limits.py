"""Two API replicas on one Redis share the login limits (and work without Redis)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import PASSWORD, assert_error, register
from tests.conftest import test_settings


async def test_replicas_share_login_limits_through_redis(migrated_url: str, redis_url: str, clean_pool: Any) -> None:
    settings = test_settings(
        profile="local", database_url=migrated_url, redis_url=redis_url, login_attempts_per_email=4
    )
    async with (
        AsyncTestClient(app=create_app(settings)) as first,
        AsyncTestClient(app=create_app(settings)) as second,
    ):
        account = await register(first)
        for replica in (first, second, first, second):
            response = await replica.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
            assert response.status_code == 200, response.text
        for replica in (first, second):
            limited = await replica.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
            assert_error(limited, 429, "RATE_LIMITED")
            assert int(limited.headers["retry-after"]) >= 1


async def test_without_redis_login_still_works_and_health_says_degraded(migrated_url: str, clean_pool: Any) -> None:
    settings = test_settings(profile="local", database_url=migrated_url, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(app=create_app(settings)) as client:
        account = await register(client)
        login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
        assert login.status_code == 200
        health = (await client.get("/api/v1/health")).json()["data"]
        assert health["status"] == "degraded"
        assert {c["name"]: c["status"] for c in health["components"]} == {
            "database": "ok",
            "redis": "degraded",
            "temporal": "ok",  # not configured: jobs run in the API process
            "replication": "ok",
        }
        assert (await client.get("/api/v1/readiness")).status_code == 200
