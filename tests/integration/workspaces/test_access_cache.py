"""Roles and the current user are cached, and a change is seen by the very next request: on the memory profile
(the in-process cache) and on PostgreSQL + Redis (the shared one)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from application.admin.make_platform_admin import MakePlatformAdmin, MakePlatformAdminCommand
from entrypoints.http.app import create_app
from entrypoints.wiring.container import build_container
from tests.api import add_member, assert_error, make_team, register
from tests.conftest import test_settings
from tests.support.enrichment import on_backend

API = "/api/v1"


async def test_a_removed_member_loses_access_at_once(api: Any) -> None:
    team = await make_team(api, "Removal")
    records = team.url("/records")
    assert (await api.get(records, headers=team.member.headers)).status_code == 200  # the role is cached now
    assert (await api.get(records, headers=team.member.headers)).status_code == 200

    removed = await api.delete(team.url(f"/members/{team.member.id}"), headers=team.owner.headers)
    assert removed.status_code == 204, removed.text

    assert_error(await api.get(records, headers=team.member.headers), 404, "NOT_FOUND")
    body = {"kind": "person", "inputs": {"email": "a@acme.com"}}
    assert_error(await api.post(records, json=body, headers=team.member.headers), 404, "NOT_FOUND")


async def test_a_member_who_leaves_loses_access_at_once(api: Any) -> None:
    team = await make_team(api, "Leaving")
    assert (await api.get(team.url("/records"), headers=team.viewer.headers)).status_code == 200

    left = await api.delete(team.url(f"/members/{team.viewer.id}"), headers=team.viewer.headers)
    assert left.status_code == 204, left.text

    assert_error(await api.get(team.url("/records"), headers=team.viewer.headers), 404, "NOT_FOUND")


async def test_a_demoted_admin_loses_admin_rights_at_once(api: Any) -> None:
    team = await make_team(api, "Demotion")
    credentials = team.url("/credentials")
    assert (await api.get(credentials, headers=team.admin.headers)).status_code == 200

    demoted = await api.patch(
        team.url(f"/members/{team.admin.id}"), json={"role": "viewer"}, headers=team.owner.headers
    )
    assert demoted.status_code == 200, demoted.text

    assert_error(await api.get(credentials, headers=team.admin.headers), 403, "FORBIDDEN")
    assert (await api.get(team.url("/records"), headers=team.admin.headers)).status_code == 200


async def test_a_promotion_applies_at_once(api: Any) -> None:
    team = await make_team(api, "Promotion")
    credentials = team.url("/credentials")
    assert_error(await api.get(credentials, headers=team.member.headers), 403, "FORBIDDEN")

    promoted = await api.patch(
        team.url(f"/members/{team.member.id}"), json={"role": "admin"}, headers=team.owner.headers
    )
    assert promoted.status_code == 200, promoted.text

    assert (await api.get(credentials, headers=team.member.headers)).status_code == 200


async def test_the_members_of_a_deleted_workspace_lose_access_at_once(api: Any) -> None:
    team = await make_team(api, "Deleted")
    for account in (team.owner, team.admin, team.member, team.viewer):
        assert (await api.get(team.url("/records"), headers=account.headers)).status_code == 200

    deleted = await api.delete(team.url(), headers=team.owner.headers)
    assert deleted.status_code == 204, deleted.text

    for account in (team.owner, team.admin, team.member, team.viewer):
        assert_error(await api.get(team.url("/records"), headers=account.headers), 404, "NOT_FOUND")
        assert_error(await api.get(team.url("/credits"), headers=account.headers), 404, "NOT_FOUND")
    job = {"fields": ["title"], "records": [{"kind": "person", "inputs": {"email": "a@acme.com"}}]}
    submitted = await api.post(team.url("/enrichment/jobs"), json=job, headers=team.member.headers)
    assert_error(submitted, 404, "NOT_FOUND")


async def test_someone_who_looked_before_joining_has_access_once_they_join(api: Any) -> None:
    team = await make_team(api, "Joining")
    newcomer = await register(api, "newcomer")
    assert_error(await api.get(team.url("/records"), headers=newcomer.headers), 404, "NOT_FOUND")  # cached: none

    await add_member(api, team.workspace, team.owner, newcomer, "viewer")

    assert (await api.get(team.url("/records"), headers=newcomer.headers)).status_code == 200


@pytest.fixture(params=["memory", "postgres"])
def backend_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return on_backend(request, {})


async def test_a_change_to_the_user_is_seen_by_the_next_request(backend_settings: dict[str, Any]) -> None:
    settings = test_settings(**backend_settings)
    container = build_container(settings)
    async with AsyncTestClient(app=create_app(settings, container)) as api:
        account = await register(api)
        before = await api.get(f"{API}/auth/me", headers=account.headers)

        # as `cascade users make-admin` does: its own process on PostgreSQL and Redis, the same store in memory
        cli = container if settings.profile == "memory" else build_container(settings)
        try:
            async with cli() as request:
                await (await request.get(MakePlatformAdmin))(MakePlatformAdminCommand(email=account.email))
        finally:
            if cli is not container:
                await cli.close()
        after = await api.get(f"{API}/auth/me", headers=account.headers)

    assert before.json()["data"]["platformAdmin"] is False
    assert after.json()["data"] == {"id": account.id, "email": account.email, "name": "user", "platformAdmin": True}
