"""R9: Redis stopped mid-run. The API (local profile, this test's own Redis, under uvicorn) keeps answering:
reads, writes and a job succeed uncached, the rate limits still hold through the in-process fallback, health
says degraded while readiness stays 200; once Redis is back on the same port the cache and the limiter use it
again. And a Redis that only stalls (its data intact) cannot hand a removed member their old role back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from structlog.testing import capture_logs

from adapters.memory.cache import HELD, decode
from application.caching import CachedRole
from domain.kernel.permissions import Role
from entrypoints.http.app import create_app
from tests.api import Account, add_member, create_workspace, register
from tests.conftest import test_settings
from tests.fakes.harness import KEYS, running_fakes
from tests.fakes.server import serve
from tests.services import ThrowawayRedis
from tests.support.enrichment import provider_settings

API = "/api/v1"
READS = 30  # per user and minute: the hammering user spends it, no one else comes close


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api_url(own_redis: ThrowawayRedis, migrated_url: str, clean_pool: Any) -> Iterator[str]:
    """The API on PostgreSQL and this test's Redis; jobs run inline, Apollo is the fake of tests/fakes."""
    with running_fakes() as fakes:
        settings = test_settings(
            profile="local",
            database_url=migrated_url,
            redis_url=own_redis.url,
            rate_limit_reads_per_minute=READS,
            **provider_settings(fakes, apollo=KEYS["apollo"]),
        )
        with serve(create_app(settings)) as url:
            yield url


def keys(server: ThrowawayRedis) -> set[str]:
    with Redis.from_url(server.url) as direct:
        return {key.decode() for key in direct.keys("*")}


async def eventually(check: Callable[[], Any], *, within: float = 15.0) -> Any:
    """Ask until the answer is truthy: after a restart each adapter waits out its pause before trying Redis."""
    deadline = asyncio.get_running_loop().time() + within
    while not (answer := await check()):
        assert asyncio.get_running_loop().time() < deadline, "Redis was never used again"
        await asyncio.sleep(0.25)
    return answer


async def components(api: httpx.AsyncClient) -> tuple[str, dict[str, dict[str, Any]]]:
    health = await api.get(f"{API}/health")
    assert health.status_code == 200, health.text
    data = health.json()["data"]
    return data["status"], {c["name"]: c for c in data["components"]}


async def test_r9_redis_killed_mid_run_degrades_and_recovers(own_redis: ThrowawayRedis, api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=20) as api:
        owner, member, hammer = await register(api, "owner"), await register(api, "member"), await register(api, "ham")
        workspace = await create_workspace(api, owner, "R9")
        await add_member(api, workspace, owner, member, "member")
        records = f"{API}/workspaces/{workspace}/records"
        assert (await api.get(records, headers=member.headers)).status_code == 200
        # both use Redis: the member's role is cached there, their reads are counted there
        assert {f"cascade:cache:role:{workspace}:{member.id}", f"cascade:rl:api:reads:user:{member.id}"} <= keys(
            own_redis
        )
        assert (await components(api))[0] == "ok"

        with capture_logs() as logs:
            own_redis.kill()
            await outage_is_survived(api, owner, member, hammer, workspace)
        degraded = [e["event"] for e in logs if e["event"].endswith("_degraded")]
        assert degraded.count("cache_degraded") == 1, "logged once for the whole outage, not once per call"
        assert degraded.count("rate_limiter_degraded") == 1

        own_redis.start()  # the same port, empty

        # the limiter counts in Redis again: the fallback, whose window the hammer filled, would still refuse
        back = await eventually(lambda: ok_or_none(api.get(f"{API}/workspaces", headers=hammer.headers)))
        assert int(back.headers["ratelimit-remaining"]) == READS - 1
        assert f"cascade:rl:api:reads:user:{hammer.id}" in keys(own_redis)
        # and roles are cached there again
        await eventually(lambda: ok_or_none(api.get(records, headers=owner.headers)))
        await eventually(lambda: cached(own_redis, api, records, owner, workspace))
        status, parts = await eventually(lambda: components_when(api, "ok"))
        assert (status, parts["redis"]["status"]) == ("ok", "ok")


async def outage_is_survived(
    api: httpx.AsyncClient, owner: Account, member: Account, hammer: Account, workspace: str
) -> None:
    records = f"{API}/workspaces/{workspace}/records"
    body = {"kind": "person", "inputs": {"email": "ann@acme.com"}}
    created = await api.post(records, json=body, headers=member.headers)
    assert created.status_code == 201, created.text
    record = f"{records}/{created.json()['data']['id']}"
    assert (await api.get(record, headers=owner.headers)).status_code == 200
    changed = await api.patch(record, json={"inputs": {"firstName": "Ann"}}, headers=member.headers)
    assert changed.status_code == 200, changed.text
    assert (await api.get(records, headers=member.headers)).json()["data"][0]["inputs"]["firstName"] == "Ann"

    job = {"fields": ["title"], "records": [{"kind": "person", "inputs": {"email": "p1@crowd.example"}}]}
    submitted = await api.post(f"{API}/workspaces/{workspace}/enrichment/jobs", json=job, headers=member.headers)
    assert submitted.status_code == 202, submitted.text
    url = f"{API}/workspaces/{workspace}/enrichment/jobs/{submitted.json()['data']['id']}"
    for _ in range(100):  # run by the inline orchestrator, its circuit breaker in process now
        done = (await api.get(url, headers=owner.headers)).json()["data"]
        if done["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert (done["status"], done["progress"]["enriched"], done["creditsSpent"]) == ("completed", 1, 1), done

    answers = [await api.get(f"{API}/workspaces", headers=hammer.headers) for _ in range(READS + 1)]
    assert [a.status_code for a in answers] == [200] * READS + [429], "the in-process fallback still limits"
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert (refused.headers["ratelimit-limit"], refused.headers["ratelimit-remaining"]) == (str(READS), "0")
    assert int(refused.headers["retry-after"]) >= 1

    removed = await api.delete(f"{API}/workspaces/{workspace}/members/{member.id}", headers=owner.headers)
    assert removed.status_code == 204, "team changes work, their cache deletes are kept for later"
    assert (await api.get(records, headers=member.headers)).status_code == 404

    status, parts = await eventually(lambda: components_when(api, "degraded"))
    assert status == "degraded"
    assert (parts["redis"]["status"], parts["redis"]["required"]) == ("degraded", False)
    assert "unavailable" in parts["redis"]["detail"]
    assert parts["database"]["status"] == "ok"
    assert (await api.get(f"{API}/readiness")).status_code == 200


async def components_when(api: httpx.AsyncClient, wanted: str) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """Health's components once its status is `wanted`: it checks them at most once a second."""
    status, parts = await components(api)
    return (status, parts) if status == wanted else None


async def ok_or_none(request: Any) -> httpx.Response | None:
    response: httpx.Response = await request
    return response if response.status_code == 200 else None


async def cached(server: ThrowawayRedis, api: httpx.AsyncClient, url: str, account: Account, workspace: str) -> bool:
    await api.get(url, headers=account.headers)
    return f"cascade:cache:role:{workspace}:{account.id}" in keys(server)


async def test_r9_a_stalled_redis_cannot_hand_a_removed_member_their_role_back(
    own_redis: ThrowawayRedis, api_url: str
) -> None:
    """The delete Redis missed is sent before anything else once it answers: its old entry is still there."""
    async with httpx.AsyncClient(base_url=api_url, timeout=20) as api:
        owner, member = await register(api, "owner"), await register(api, "member")
        workspace = await create_workspace(api, owner, "Stall")
        await add_member(api, workspace, owner, member, "member")
        records = f"{API}/workspaces/{workspace}/records"
        role_key = f"cascade:cache:role:{workspace}:{member.id}"
        with Redis.from_url(own_redis.url) as direct:
            direct.delete(role_key)  # the hold the member's joining put there lapses now rather than in seconds
        assert (await api.get(records, headers=member.headers)).status_code == 200
        with Redis.from_url(own_redis.url) as direct:
            cached_role = direct.get(role_key)
        assert cached_role is not None
        assert decode(cached_role, CachedRole) == CachedRole(role=Role.MEMBER), "the role Redis will keep"

        own_redis.pause()
        try:
            removed = await api.delete(f"{API}/workspaces/{workspace}/members/{member.id}", headers=owner.headers)
            during = await api.get(records, headers=member.headers)
        finally:
            own_redis.resume()
        await asyncio.sleep(1.2)  # the adapters' pause after a failure
        after = [await api.get(records, headers=member.headers) for _ in range(3)]

        with Redis.from_url(own_redis.url) as direct:
            entry = direct.get(role_key)

    assert removed.status_code == 204
    assert during.status_code == 404
    assert [a.status_code for a in after] == [404, 404, 404], "the stale role left in Redis was never served"
    assert entry == HELD, "the missed delete was replayed, with its hold"
