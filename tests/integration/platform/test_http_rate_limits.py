"""API rate limits over HTTP, on the memory profile and on PostgreSQL + Redis: per route group, per user,
per workspace (shared by its members), the `RateLimit-*` headers, and the routes that are never limited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.telemetry.logging import configure_logging
from entrypoints.http.app import create_app
from tests.api import PASSWORD, assert_error, create_workspace, make_team, register
from tests.conftest import test_settings
from tests.support.enrichment import on_backend

API = "/api/v1"
ROOMY = 1_000  # the budgets a test does not look at

Limited = Callable[..., AbstractAsyncContextManager[Any]]


@pytest.fixture(params=["memory", "postgres"])
def limited(request: pytest.FixtureRequest) -> Limited:
    """`async with limited(reads=3) as api`: the API with those budgets per minute, every other one roomy."""
    backend = on_backend(request, {})

    @asynccontextmanager
    async def app(**budgets: int) -> AsyncIterator[Any]:
        groups = ("auth", "reads", "writes", "jobs", "workspace_reads", "workspace_writes", "workspace_jobs")
        limits = {f"rate_limit_{group}_per_minute": budgets.get(group, ROOMY) for group in groups}
        async with AsyncTestClient(app=create_app(test_settings(**backend, **limits))) as client:
            yield client

    return app


def budget(response: Any) -> tuple[int, int, int]:
    """RateLimit-Limit, -Remaining and -Reset of an answer."""
    headers = response.headers
    return int(headers["ratelimit-limit"]), int(headers["ratelimit-remaining"]), int(headers["ratelimit-reset"])


def assert_refused(response: Any, limit: int, window: int = 60) -> dict[str, Any]:
    error = assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert budget(response) == (limit, 0, retry_after)
    return error


async def test_reads_are_limited_per_user_with_the_budget_in_every_answer(limited: Limited) -> None:
    async with limited(reads=3) as api:
        ann, bob = await register(api, "ann"), await register(api, "bob")
        answers = [await api.get(f"{API}/workspaces", headers=ann.headers) for _ in range(3)]
        refused = await api.get(f"{API}/workspaces", headers=ann.headers)
        other_user = await api.get(f"{API}/workspaces", headers=bob.headers)
        other_group = await api.post(f"{API}/workspaces", json={"name": "Writes"}, headers=ann.headers)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [budget(a) for a in answers] == [(3, 2, 60), (3, 1, 60), (3, 0, 60)]
    error = assert_refused(refused, 3)
    assert "reads" in error["message"]
    assert (other_user.status_code, budget(other_user)) == (200, (3, 2, 60)), "each user has a budget"
    assert other_group.status_code == 201, "writes have a budget of their own"
    assert budget(other_group) == (ROOMY, ROOMY - 1, 60)


async def test_writes_are_limited_and_an_error_answer_counts_and_carries_the_budget(limited: Limited) -> None:
    async with limited(writes=2) as api:
        ann = await register(api, "ann")
        created = await api.post(f"{API}/workspaces", json={"name": "One"}, headers=ann.headers)
        invalid = await api.post(f"{API}/workspaces", json={"name": ""}, headers=ann.headers)
        refused = await api.delete(f"{API}/workspaces/{created.json()['data']['id']}", headers=ann.headers)
        still_reads = await api.get(f"{API}/workspaces", headers=ann.headers)

    assert created.status_code == 201
    assert budget(created) == (2, 1, 60)
    assert invalid.status_code == 422
    assert budget(invalid) == (2, 0, 60)
    assert_refused(refused, 2)
    assert still_reads.status_code == 200


async def test_job_submissions_have_a_budget_of_their_own(limited: Limited) -> None:
    async with limited(jobs=1) as api:
        team = await make_team(api, "Jobs")
        jobs = team.url("/enrichment/jobs")
        first = await api.post(jobs, json={"fields": []}, headers=team.member.headers)  # 422, but it counts
        refused = await api.post(jobs, json={"fields": ["title"], "records": []}, headers=team.member.headers)
        record = await api.post(
            team.url("/records"),
            json={"kind": "person", "inputs": {"email": "a@acme.com"}},
            headers=team.member.headers,
        )
        listing = await api.get(jobs, headers=team.member.headers)

    assert first.status_code == 422
    assert budget(first) == (1, 0, 60)
    assert_refused(refused, 1)
    assert record.status_code == 201, "other writes are not job submissions"
    assert listing.status_code == 200, "nor is reading the jobs"


async def test_a_workspace_budget_is_shared_by_its_members(limited: Limited) -> None:
    async with limited(workspace_reads=4) as api:
        team = await make_team(api, "Shared")
        records = team.url("/records")
        owner = [await api.get(records, headers=team.owner.headers) for _ in range(3)]
        member = await api.get(records, headers=team.member.headers)
        refused_member = await api.get(records, headers=team.member.headers)
        refused_owner = await api.get(records, headers=team.owner.headers)
        elsewhere = await create_workspace(api, team.owner, "Elsewhere")
        other_workspace = await api.get(f"{API}/workspaces/{elsewhere}/records", headers=team.owner.headers)
        no_workspace = await api.get(f"{API}/workspaces", headers=team.member.headers)

    assert [a.status_code for a in owner] == [200, 200, 200]
    assert [budget(a)[:2] for a in owner] == [(4, 3), (4, 2), (4, 1)], "the tightest budget is the workspace's"
    assert (member.status_code, budget(member)[:2]) == (200, (4, 0))
    assert "this workspace" in assert_refused(refused_member, 4)["message"]
    assert_refused(refused_owner, 4)
    assert other_workspace.status_code == 200, "each workspace has its own budget"
    assert no_workspace.status_code == 200, "the member's own budget is not spent"


async def test_requests_of_someone_who_is_not_a_member_do_not_spend_the_workspace_budget(limited: Limited) -> None:
    async with limited(workspace_reads=2) as api:
        ann, eve = await register(api, "ann"), await register(api, "eve")
        workspace = await create_workspace(api, ann)
        records = f"{API}/workspaces/{workspace}/records"
        probes = [await api.get(records, headers=eve.headers) for _ in range(5)]
        owner = [await api.get(records, headers=ann.headers) for _ in range(2)]

    for probe in probes:
        assert_error(probe, 404, "NOT_FOUND")
    assert [budget(p)[:2] for p in probes] == [(ROOMY, ROOMY - n) for n in range(1, 6)], "eve's own budget"
    assert [(a.status_code, budget(a)[:2]) for a in owner] == [(200, (2, 1)), (200, (2, 0))]


async def test_auth_routes_are_limited_per_ip_and_the_login_limit_still_applies(limited: Limited) -> None:
    async with limited(auth=4) as api:
        account = await register(api)
        login = await api.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
        me = await api.get(f"{API}/auth/me", headers=account.headers)
        refresh = await api.post(f"{API}/auth/refresh", json={"refreshToken": account.refresh_token})
        refused = await api.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})

    assert (login.status_code, budget(login)) == (200, (4, 2, 60))
    assert (me.status_code, budget(me)[:2]) == (200, (4, 1)), "/auth/me draws on the IP's and the user's budgets"
    assert (refresh.status_code, budget(refresh)[:2]) == (200, (4, 0))
    assert_refused(refused, 4)


async def test_a_login_refused_by_its_own_limit_carries_that_limit(limited: Limited) -> None:
    async with limited() as api:
        account = await register(api)
        wrong = {"email": account.email, "password": "not the password"}
        attempts = [await api.post(f"{API}/auth/login", json=wrong) for _ in range(10)]
        refused = await api.post(f"{API}/auth/login", json=wrong)

    assert {a.status_code for a in attempts} == {401}
    error = assert_refused(refused, 10, window=900)  # the per-email login limit of the defaults
    assert "login" in error["message"]


async def test_health_readiness_metrics_and_the_schema_are_never_limited(limited: Limited) -> None:
    async with limited(auth=1, reads=1, writes=1, jobs=1, workspace_reads=1, workspace_writes=1) as api:
        answers = [
            await api.get(path)
            for path in (
                f"{API}/health",
                f"{API}/readiness",
                f"{API}/metrics",
                "/schema/openapi.json",
                "/schema/swagger",
            )
            for _ in range(4)
        ]

    assert {a.status_code for a in answers} <= {200, 404}, "no 429"  # 404: no metrics route in this build
    assert all(a.status_code == 200 for a in answers if "metrics" not in str(a.url))
    assert not [a.url for a in answers if "ratelimit-limit" in a.headers]


async def test_a_request_without_a_valid_token_is_answered_401_not_counted(limited: Limited) -> None:
    async with limited(reads=1) as api:
        ann = await register(api, "ann")
        spent = await api.get(f"{API}/workspaces", headers=ann.headers)
        anonymous = await api.get(f"{API}/workspaces")
        forged = await api.get(f"{API}/workspaces", headers={"Authorization": "Bearer not.a.token"})

    assert spent.status_code == 200
    for answer in (anonymous, forged):
        assert_error(answer, 401, "UNAUTHORIZED")
        assert "ratelimit-limit" not in answer.headers


async def test_replicas_share_the_budgets_through_redis(migrated_url: str, clean_redis: str, clean_pool: Any) -> None:
    settings = test_settings(
        profile="local", database_url=migrated_url, redis_url=clean_redis, rate_limit_reads_per_minute=3
    )
    async with (
        AsyncTestClient(app=create_app(settings)) as first,
        AsyncTestClient(app=create_app(settings)) as second,
    ):
        ann = await register(first, "ann")
        answers = [await replica.get(f"{API}/workspaces", headers=ann.headers) for replica in (first, second, first)]
        refused = await second.get(f"{API}/workspaces", headers=ann.headers)

    assert [budget(a)[:2] for a in answers] == [(3, 2), (3, 1), (3, 0)]
    assert_refused(refused, 3)


async def test_a_refusal_is_a_security_event_with_the_group_and_ids_but_no_token(
    limited: Limited, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    async with limited(workspace_writes=1) as api:
        ann = await register(api, "ann")
        workspace = await create_workspace(api, ann)
        records = f"{API}/workspaces/{workspace}/records"
        body = {"kind": "person", "inputs": {"email": "a@acme.com"}}
        capsys.readouterr()
        assert (await api.post(records, json=body, headers=ann.headers)).status_code == 201
        assert_refused(await api.post(records, json=body, headers=ann.headers), 1)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    events = [line for line in lines if line.get("event") == "security_event"]
    assert len(events) == 1
    event = events[0]
    assert event["level"] == "warning"
    assert (event["kind"], event["group"], event["method"], event["path"]) == (
        "rate_limit_hit",
        "writes",
        "POST",
        records,
    )
    assert (event["user_id"], event["workspace_id"]) == (ann.id, workspace)
    assert "this workspace" in event["reason"]
    assert ann.access_token not in json.dumps(events)
