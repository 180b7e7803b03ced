"""QUALITY.md R5: tenant isolation.

Two tenants, A and B, each own a workspace with a member and a pending
invitation. B calls every workspace route with A's ids (and B's workspace
with A's member and invitation ids): every call is 404 NOT_FOUND, never
FORBIDDEN, and afterwards neither tenant's data has changed.

Runs on the memory profile and on real PostgreSQL + Redis.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from tests.api import Account, add_member, assert_error, create_workspace, register

API = "/api/v1"


@dataclass(slots=True)
class Tenant:
    owner: Account
    member: Account
    workspace: str
    name: str
    invitation: str
    invitation_token: str
    credential: str
    credential_secret: str
    record: str
    job: str


async def make_tenant(api: Any, label: str) -> Tenant:
    owner = await register(api, f"{label}-owner")
    member = await register(api, f"{label}-member")
    name = f"Workspace of {label}"
    workspace = await create_workspace(api, owner, name)
    await add_member(api, workspace, owner, member, "member")
    invited = await api.post(
        f"{API}/workspaces/{workspace}/invitations",
        json={"email": f"{label}-invitee@example.com", "role": "viewer"},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    data = invited.json()["data"]
    secret = f"{label}-provider-secret-0123456789"
    stored = await api.post(
        f"{API}/workspaces/{workspace}/credentials",
        json={"provider": "apollo", "label": f"{label} apollo key", "secret": secret},
        headers=owner.headers,
    )
    assert stored.status_code == 201, stored.text
    record = await api.post(
        f"{API}/workspaces/{workspace}/records",
        json={"kind": "person", "inputs": {"email": f"{label}-lead@{label}-corp.com", "fullName": f"{label} Lead"}},
        headers=member.headers,
    )
    assert record.status_code == 201, record.text
    credential = stored.json()["data"]["id"]
    record_id = record.json()["data"]["id"]
    job = await api.post(
        f"{API}/workspaces/{workspace}/enrichment/jobs",
        json={"recordIds": [record_id], "fields": ["title"]},
        headers=member.headers,
    )
    assert job.status_code == 202, job.text
    await job_finished(api, owner, workspace, job.json()["data"]["id"])
    return Tenant(
        owner,
        member,
        workspace,
        name,
        data["id"],
        data["token"],
        credential,
        secret,
        record_id,
        job.json()["data"]["id"],
    )


async def job_finished(api: Any, owner: Account, workspace: str, job_id: str) -> None:
    """The tenant's job settles before snapshots are compared (no provider is reachable: it fails fast)."""
    for _ in range(400):
        job = await api.get(f"{API}/workspaces/{workspace}/enrichment/jobs/{job_id}", headers=owner.headers)
        if job.json()["data"]["status"] not in ("queued", "running"):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the tenant's job did not finish")


async def snapshot(api: Any, tenant: Tenant) -> dict[str, Any]:
    """Everything the owner can see of their workspace."""
    headers = tenant.owner.headers
    base = f"{API}/workspaces/{tenant.workspace}"
    workspace = await api.get(base, headers=headers)
    members = await api.get(f"{base}/members", params={"limit": 200}, headers=headers)
    invitations = await api.get(f"{base}/invitations", params={"limit": 200}, headers=headers)
    mine = await api.get(f"{API}/workspaces", params={"limit": 200}, headers=headers)
    member_view = await api.get(base, headers=tenant.member.headers)
    credentials = await api.get(f"{base}/credentials", params={"limit": 200}, headers=headers)
    audit_log = await api.get(f"{base}/audit-log", params={"limit": 200}, headers=headers)
    for response in (workspace, members, invitations, mine, member_view, credentials, audit_log):
        assert response.status_code == 200, response.text
    credits = await api.get(f"{base}/credits", headers=headers)
    ledger = await api.get(f"{base}/credits/transactions", params={"limit": 200}, headers=headers)
    for response in (credits, ledger):
        assert response.status_code == 200, response.text
    records = await api.get(f"{base}/records", params={"limit": 200}, headers=headers)
    assert records.status_code == 200, records.text
    jobs = await api.get(f"{base}/enrichment/jobs", params={"limit": 200}, headers=headers)
    assert jobs.status_code == 200, jobs.text
    return {
        "workspace": workspace.json()["data"],
        "members": sorted((m["userId"], m["email"], m["role"]) for m in members.json()["data"]),
        "invitations": [(i["id"], i["email"], i["role"], i["status"]) for i in invitations.json()["data"]],
        "mine": [(w["id"], w["name"], w["role"]) for w in mine.json()["data"]],
        "member_role": member_view.json()["data"]["role"],
        "credentials": credentials.json()["data"],
        "audit_log": [(e["id"], e["action"]) for e in audit_log.json()["data"]],
        "credits": credits.json()["data"],
        "ledger": ledger.json()["data"],
        "records": records.json()["data"],
        "jobs": jobs.json()["data"],
    }


@dataclass(slots=True, frozen=True)
class Attack:
    id: str
    method: str
    route: str  # the app's route template, to check every route is covered
    # filled from the world: wa/wb, oa/ob (owners), ma/mb (members), ia/ib (invitations), ca/cb (credentials),
    # ra/rb (records), ja/jb (enrichment jobs)
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None  # sent besides the attacker's Authorization


WS = "/api/v1/workspaces/{workspace_id:uuid}"
MEMBER = WS + "/members/{user_id:uuid}"
INVITATION = WS + "/invitations/{invitation_id:uuid}"
CREDENTIALS = WS + "/credentials"
CREDENTIAL = CREDENTIALS + "/{credential_id:uuid}"
SPY_CREDENTIAL = {"provider": "apollo", "label": "spy", "secret": "spy-secret-value"}
CREDITS = WS + "/credits"
RECORDS = WS + "/records"
RECORD = RECORDS + "/{record_id:uuid}"
SPY_RECORD = {"kind": "person", "inputs": {"email": "spy@example.com"}}
JOBS = WS + "/enrichment/jobs"
JOB = JOBS + "/{job_id:uuid}"

ATTACKS = [
    Attack("get-workspace", "GET", WS, "/workspaces/{wa}"),
    Attack("rename-workspace", "PATCH", WS, "/workspaces/{wa}", {"name": "pwned"}),
    Attack("delete-workspace", "DELETE", WS, "/workspaces/{wa}"),
    Attack("list-members", "GET", WS + "/members", "/workspaces/{wa}/members"),
    Attack("demote-member", "PATCH", MEMBER, "/workspaces/{wa}/members/{ma}", {"role": "viewer"}),
    Attack("demote-owner", "PATCH", MEMBER, "/workspaces/{wa}/members/{oa}", {"role": "viewer"}),
    Attack("make-self-owner", "PATCH", MEMBER, "/workspaces/{wa}/members/{ob}", {"role": "owner"}),
    Attack("promote-own-member-in-a", "PATCH", MEMBER, "/workspaces/{wa}/members/{mb}", {"role": "owner"}),
    Attack("remove-member", "DELETE", MEMBER, "/workspaces/{wa}/members/{ma}"),
    Attack("remove-owner", "DELETE", MEMBER, "/workspaces/{wa}/members/{oa}"),
    Attack("leave-foreign-workspace", "DELETE", MEMBER, "/workspaces/{wa}/members/{ob}"),
    Attack(
        "create-invitation",
        "POST",
        WS + "/invitations",
        "/workspaces/{wa}/invitations",
        {"email": "spy@example.com", "role": "owner"},
    ),
    Attack("list-invitations", "GET", WS + "/invitations", "/workspaces/{wa}/invitations"),
    Attack("revoke-invitation", "DELETE", INVITATION, "/workspaces/{wa}/invitations/{ia}"),
    Attack("revoke-own-invitation-via-a", "DELETE", INVITATION, "/workspaces/{wa}/invitations/{ib}"),
    # B's own workspace, A's member and invitation ids
    Attack("mixed-demote-member", "PATCH", MEMBER, "/workspaces/{wb}/members/{ma}", {"role": "viewer"}),
    Attack("mixed-demote-owner", "PATCH", MEMBER, "/workspaces/{wb}/members/{oa}", {"role": "viewer"}),
    Attack("mixed-remove-member", "DELETE", MEMBER, "/workspaces/{wb}/members/{ma}"),
    Attack("mixed-remove-owner", "DELETE", MEMBER, "/workspaces/{wb}/members/{oa}"),
    Attack("mixed-revoke-invitation", "DELETE", INVITATION, "/workspaces/{wb}/invitations/{ia}"),
    # credentials and the audit log
    Attack("create-credential", "POST", CREDENTIALS, "/workspaces/{wa}/credentials", SPY_CREDENTIAL),
    Attack("list-credentials", "GET", CREDENTIALS, "/workspaces/{wa}/credentials"),
    Attack("get-credential", "GET", CREDENTIAL, "/workspaces/{wa}/credentials/{ca}"),
    Attack("update-credential", "PATCH", CREDENTIAL, "/workspaces/{wa}/credentials/{ca}", {"secret": "attacker"}),
    Attack("delete-credential", "DELETE", CREDENTIAL, "/workspaces/{wa}/credentials/{ca}"),
    Attack("own-credential-via-a", "PATCH", CREDENTIAL, "/workspaces/{wa}/credentials/{cb}", {"label": "moved"}),
    Attack("list-audit-log", "GET", WS + "/audit-log", "/workspaces/{wa}/audit-log"),
    Attack("mixed-get-credential", "GET", CREDENTIAL, "/workspaces/{wb}/credentials/{ca}"),
    Attack("mixed-update-credential", "PATCH", CREDENTIAL, "/workspaces/{wb}/credentials/{ca}", {"label": "mine"}),
    Attack("mixed-delete-credential", "DELETE", CREDENTIAL, "/workspaces/{wb}/credentials/{ca}"),
    Attack("test-credential", "POST", CREDENTIAL + "/test", "/workspaces/{wa}/credentials/{ca}/test"),
    Attack("mixed-test-credential", "POST", CREDENTIAL + "/test", "/workspaces/{wb}/credentials/{ca}/test"),
    # credits
    Attack("get-credits", "GET", CREDITS, "/workspaces/{wa}/credits"),
    Attack("list-credit-transactions", "GET", CREDITS + "/transactions", "/workspaces/{wa}/credits/transactions"),
    Attack(
        "grant-credits",
        "POST",
        CREDITS + "/grants",
        "/workspaces/{wa}/credits/grants",
        {"amount": 1_000_000, "reason": "free money"},
        {"Idempotency-Key": "isolation-attack"},
    ),
    # records
    Attack("create-record", "POST", RECORDS, "/workspaces/{wa}/records", SPY_RECORD),
    Attack("list-records", "GET", RECORDS, "/workspaces/{wa}/records"),
    Attack("get-record", "GET", RECORD, "/workspaces/{wa}/records/{ra}"),
    Attack("update-record", "PATCH", RECORD, "/workspaces/{wa}/records/{ra}", {"inputs": {"email": "spy@example.com"}}),
    Attack("delete-record", "DELETE", RECORD, "/workspaces/{wa}/records/{ra}"),
    Attack("own-record-via-a", "PATCH", RECORD, "/workspaces/{wa}/records/{rb}", {"inputs": {"fullName": "moved"}}),
    Attack("mixed-get-record", "GET", RECORD, "/workspaces/{wb}/records/{ra}"),
    Attack("mixed-update-record", "PATCH", RECORD, "/workspaces/{wb}/records/{ra}", {"inputs": {"fullName": "mine"}}),
    Attack("mixed-delete-record", "DELETE", RECORD, "/workspaces/{wb}/records/{ra}"),
    # enrichment: neither A's workspace nor A's record can be enriched (or read) by B
    Attack(
        "enrich-in-a",
        "POST",
        WS + "/enrichment/enrich",
        "/workspaces/{wa}/enrichment/enrich",
        {"kind": "person", "inputs": {"email": "spy@example.com"}, "fields": ["title"]},
    ),
    Attack(
        "mixed-enrich-record",
        "POST",
        WS + "/enrichment/enrich",
        "/workspaces/{wb}/enrichment/enrich",
        {"recordId": "{ra}", "fields": ["title"]},
    ),
    # enrichment jobs
    Attack("submit-job-in-a", "POST", JOBS, "/workspaces/{wa}/enrichment/jobs",
           {"records": [SPY_RECORD], "fields": ["title"]}),
    Attack("mixed-submit-job-of-a-record", "POST", JOBS, "/workspaces/{wb}/enrichment/jobs",
           {"recordIds": ["{ra}"], "fields": ["title"]}),
    Attack("list-jobs", "GET", JOBS, "/workspaces/{wa}/enrichment/jobs"),
    Attack("get-job", "GET", JOB, "/workspaces/{wa}/enrichment/jobs/{ja}"),
    Attack("cancel-job", "POST", JOB + "/cancel", "/workspaces/{wa}/enrichment/jobs/{ja}/cancel"),
    Attack("job-records", "GET", JOB + "/records", "/workspaces/{wa}/enrichment/jobs/{ja}/records"),
    Attack("job-events", "GET", JOB + "/events", "/workspaces/{wa}/enrichment/jobs/{ja}/events"),
    Attack("mixed-get-job", "GET", JOB, "/workspaces/{wb}/enrichment/jobs/{ja}"),
    Attack("mixed-cancel-job", "POST", JOB + "/cancel", "/workspaces/{wb}/enrichment/jobs/{ja}/cancel"),
    Attack("mixed-job-records", "GET", JOB + "/records", "/workspaces/{wb}/enrichment/jobs/{ja}/records"),
    Attack("mixed-job-events", "GET", JOB + "/events", "/workspaces/{wb}/enrichment/jobs/{ja}/events"),
]  # fmt: skip


def filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.id for a in ATTACKS])
async def test_other_tenants_ids_are_not_found_and_change_nothing(api: Any, attack: Attack) -> None:
    a = await make_tenant(api, "a")
    b = await make_tenant(api, "b")
    before = (await snapshot(api, a), await snapshot(api, b))
    ids = {
        "wa": a.workspace,
        "wb": b.workspace,
        "oa": a.owner.id,
        "ob": b.owner.id,
        "ma": a.member.id,
        "mb": b.member.id,
        "ia": a.invitation,
        "ib": b.invitation,
        "ca": a.credential,
        "cb": b.credential,
        "ra": a.record,
        "rb": b.record,
        "ja": a.job,
        "jb": b.job,
    }
    url = API + attack.path.format(**ids)

    # in A's workspace B's member is as much a stranger as B's owner; in B's own
    # workspace only B's owner may manage members, so only they reach the id lookup
    attackers = (b.owner,) if "{wb}" in attack.path else (b.owner, b.member)
    for attacker in attackers:
        kwargs: dict[str, Any] = {"headers": attacker.headers}
        if attack.body is not None:
            kwargs["json"] = {k: filled(v, ids) for k, v in attack.body.items()}
        if attack.headers is not None:
            kwargs["headers"] = {**attacker.headers, **attack.headers}
        response = await api.request(attack.method, url, **kwargs)
        assert_error(response, 404, "NOT_FOUND")
        # nothing of A's leaks into the answer
        for secret in (a.name, a.owner.email, a.member.email, "a-invitee@example.com"):
            assert secret not in response.text
        for secret in ("a apollo key", a.credential_secret, "a-lead@a-corp.com", "a Lead"):
            assert secret not in response.text

    assert (await snapshot(api, a), await snapshot(api, b)) == before


async def test_another_tenants_invitation_token_does_not_let_you_in(api: Any) -> None:
    a = await make_tenant(api, "a")
    b = await make_tenant(api, "b")
    before = await snapshot(api, a)
    response = await api.post(f"{API}/invitations/{a.invitation_token}/accept", headers=b.owner.headers)
    assert_error(response, 403, "FORBIDDEN")
    assert a.name not in response.text
    assert await snapshot(api, a) == before
    assert_error(await api.get(f"{API}/workspaces/{a.workspace}", headers=b.owner.headers), 404, "NOT_FOUND")


async def test_a_tenant_lists_only_its_own_workspaces(api: Any) -> None:
    a = await make_tenant(api, "a")
    b = await make_tenant(api, "b")
    for tenant, other in ((a, b), (b, a)):
        for account in (tenant.owner, tenant.member):
            listed = await api.get(f"{API}/workspaces", headers=account.headers)
            assert [w["id"] for w in listed.json()["data"]] == [tenant.workspace]
            assert other.name not in listed.text


async def test_every_workspace_route_is_attacked(client: Any) -> None:
    """New workspace routes must be added to ATTACKS: R5 covers every one."""
    routes = {
        (method, route.path)
        for route in client.app.routes
        if isinstance(route, HTTPRoute) and "{workspace_id" in route.path
        for method in route.methods
        if method not in {"OPTIONS", "HEAD"}
    }
    attacked = {(a.method, a.route) for a in ATTACKS}
    assert routes - attacked == set(), "workspace routes without an isolation test"
    assert attacked - routes == set(), "ATTACKS name routes the app does not have"
