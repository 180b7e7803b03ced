"""Synchronous enrichment over HTTP: settings that point the API at the fake providers, on memory or on
PostgreSQL + Redis, and the enrich and balance calls."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Account
from tests.fakes.harness import FakeProviders


def provider_settings(fakes: FakeProviders, **platform_keys: str) -> dict[str, Any]:
    return {
        "provider_apollo_base_url": fakes.apollo,
        "provider_hunter_base_url": fakes.hunter,
        "provider_clearbit_person_base_url": fakes.clearbit,
        "provider_clearbit_company_base_url": fakes.clearbit,
        "provider_timeout_seconds": 2,
        **{f"provider_{name}_api_key": key for name, key in platform_keys.items()},
    }


def on_backend(request: pytest.FixtureRequest, extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` settings on the memory profile, or on clean PostgreSQL + Redis (by the fixture's param)."""
    if request.param == "postgres":
        request.getfixturevalue("clean_pool")
        extra |= {
            "profile": "local",
            "database_url": request.getfixturevalue("migrated_url"),
            "redis_url": request.getfixturevalue("clean_redis"),
        }
    return extra


async def enrich(client: Any, owner: Account, workspace: str, body: dict[str, Any], **headers: str) -> Any:
    return await client.post(
        f"/api/v1/workspaces/{workspace}/enrichment/enrich", json=body, headers={**owner.headers, **headers}
    )


async def balance(client: Any, owner: Account, workspace: str) -> int:
    response = await client.get(f"/api/v1/workspaces/{workspace}/credits", headers=owner.headers)
    return int(response.json()["data"]["available"])
