"""QUALITY.md R5: tenant isolation.

Two tenants, A and B, each own a workspace with a member, a pending
invitation, a credential, a record, a job and a webhook with a delivery (a
failed test ping). B calls every workspace route with A's ids (and B's
workspace with A's member, invitation, webhook and delivery ids): every call
is 404 NOT_FOUND, never FORBIDDEN, and afterwards neither tenant's data has
changed.

Runs on the memory profile and on real PostgreSQL + Redis, with 127.0.0.1/32
allowlisted so that a webhook may point at a closed local port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import Account, add_member, assert_error, create_workspace, register
from tests.conftest import test_settings
from tests.support.enrichment import on_backend

API = "/api/v1"
# Nothing listens there: a ping fails at once. Subscribed only to job.cancelled, which no tenant's job emits, so
# the background dispatcher never adds a delivery between two snapshots.
HOOK_URL = "http://127.0.0.1:9/{label}-hook"
HOOK_EVENTS = ["job.cancelled"]


@pytest.fixture(params=["memory", "postgres"], ids=["client", "pg_client"])
def isolation_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return on_backend(request, {"network_allowlist": "127.0.0.1/32"})


@pytest.fixture
async def api(isolation_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """conftest's `api` (memory, then PostgreSQL + Redis), with the loopback allowlisted for the webhooks."""
    async with AsyncTestClient(app=create_app(test_settings(**isolation_settings))) as client:
        yield client


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
    webhook: str
    webhook_secret: str
    delivery: str


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
    webhook = await api.post(
        f"{API}/workspaces/{workspace}/webhooks",
        json={"url": HOOK_URL.format(label=label), "events": HOOK_EVENTS},
        headers=owner.headers,
    )
    assert webhook.status_code == 201, webhook.text
    webhook_id = webhook.json()["data"]["id"]
    ping = await api.post(f"{API}/workspaces/{workspace}/webhooks/{webhook_id}/test", headers=owner.headers)
    assert ping.status_code == 200, ping.text
    assert ping.json()["data"]["status"] == "failed", ping.text
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
        webhook_id,
        webhook.json()["data"]["secret"],
        ping.json()["data"]["id"],
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
    webhooks = await api.get(f"{base}/webhooks", params={"limit": 200}, headers=headers)
    assert webhooks.status_code == 200, webhooks.text
    deliveries = {}
    for webhook in webhooks.json()["data"]:
        log = await api.get(f"{base}/webhooks/{webhook['id']}/deliveries", params={"limit": 200}, headers=headers)
        assert log.status_code == 200, log.text
        deliveries[webhook["id"]] = [
            (await api.get(f"{base}/webhooks/{webhook['id']}/deliveries/{d['id']}", headers=headers)).json()["data"]
            for d in log.json()["data"]
        ]
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
        "webhooks": webhooks.json()["data"],
        "deliveries": deliveries,
    }


@dataclass(slots=True, frozen=True)
class Attack:
    id: str
    method: str
    route: str  # the app's route template, to check every route is covered
    # filled from the world: wa/wb, oa/ob (owners), ma/mb (members), ia/ib (invitations), ca/cb (credentials),
    # ra/rb (records), ja/jb (enrichment jobs), wha/whb (webhooks), da/db (their deliveries)
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
WEBHOOKS = WS + "/webhooks"
WEBHOOK = WEBHOOKS + "/{webhook_id:uuid}"
DELIVERIES = WEBHOOK + "/deliveries"
DELIVERY = DELIVERIES + "/{delivery_id:uuid}"
SPY_WEBHOOK = {"url": "http://127.0.0.1:9/spy", "events": ["job.completed", "record.enriched"]}

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
    # search (what a record holds, found by a word of it)
    Attack("search", "GET", WS + "/search", "/workspaces/{wa}/search?q=lead"),
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
    # webhooks: A's subscription, its secret and its delivery log
    Attack("create-webhook", "POST", WEBHOOKS, "/workspaces/{wa}/webhooks", SPY_WEBHOOK),
    Attack("list-webhooks", "GET", WEBHOOKS, "/workspaces/{wa}/webhooks"),
    Attack("get-webhook", "GET", WEBHOOK, "/workspaces/{wa}/webhooks/{wha}"),
    Attack("update-webhook", "PATCH", WEBHOOK, "/workspaces/{wa}/webhooks/{wha}", {"url": "http://127.0.0.1:9/spy"}),
    Attack("deactivate-webhook", "PATCH", WEBHOOK, "/workspaces/{wa}/webhooks/{wha}", {"active": False}),
    Attack("delete-webhook", "DELETE", WEBHOOK, "/workspaces/{wa}/webhooks/{wha}"),
    Attack("rotate-webhook-secret", "POST", WEBHOOK + "/rotate-secret",
           "/workspaces/{wa}/webhooks/{wha}/rotate-secret"),
    Attack("list-deliveries", "GET", DELIVERIES, "/workspaces/{wa}/webhooks/{wha}/deliveries"),
    Attack("list-dead-letters", "GET", DELIVERIES, "/workspaces/{wa}/webhooks/{wha}/deliveries?status=failed"),
    Attack("get-delivery", "GET", DELIVERY, "/workspaces/{wa}/webhooks/{wha}/deliveries/{da}"),
    Attack("replay-delivery", "POST", DELIVERY + "/replay", "/workspaces/{wa}/webhooks/{wha}/deliveries/{da}/replay"),
    Attack("ping-webhook", "POST", WEBHOOK + "/test", "/workspaces/{wa}/webhooks/{wha}/test"),
    Attack("own-webhook-via-a", "PATCH", WEBHOOK, "/workspaces/{wa}/webhooks/{whb}", {"active": False}),
    Attack("own-delivery-via-a", "POST", DELIVERY + "/replay",
           "/workspaces/{wa}/webhooks/{whb}/deliveries/{db}/replay"),
    # B's own workspace, A's webhook and delivery ids
    Attack("mixed-get-webhook", "GET", WEBHOOK, "/workspaces/{wb}/webhooks/{wha}"),
    Attack("mixed-update-webhook", "PATCH", WEBHOOK, "/workspaces/{wb}/webhooks/{wha}", {"url": "http://127.0.0.1:9/spy"}),
    Attack("mixed-delete-webhook", "DELETE", WEBHOOK, "/workspaces/{wb}/webhooks/{wha}"),
    Attack("mixed-rotate-webhook-secret", "POST", WEBHOOK + "/rotate-secret",
           "/workspaces/{wb}/webhooks/{wha}/rotate-secret"),
    Attack("mixed-list-deliveries", "GET", DELIVERIES, "/workspaces/{wb}/webhooks/{wha}/deliveries"),
    Attack("mixed-get-delivery", "GET", DELIVERY, "/workspaces/{wb}/webhooks/{wha}/deliveries/{da}"),
    Attack("mixed-replay-delivery", "POST", DELIVERY + "/replay",
           "/workspaces/{wb}/webhooks/{wha}/deliveries/{da}/replay"),
    Attack("mixed-ping-webhook", "POST", WEBHOOK + "/test", "/workspaces/{wb}/webhooks/{wha}/test"),
    # B's own workspace and webhook, A's delivery id
    Attack("mixed-get-delivery-of-a", "GET", DELIVERY, "/workspaces/{wb}/webhooks/{whb}/deliveries/{da}"),
    Attack("mixed-replay-delivery-of-a", "POST", DELIVERY + "/replay",
           "/workspaces/{wb}/webhooks/{whb}/deliveries/{da}/replay"),
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
        "wha": a.webhook,
        "whb": b.webhook,
        "da": a.delivery,
        "db": b.delivery,
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
        for secret in (a.webhook_secret, "a-hook", a.webhook, a.delivery):
            if secret not in attack.path.format(**ids):  # an id B sent is not a leak
                assert secret not in response.text

    assert (await snapshot(api, a), await snapshot(api, b)) == before


async def test_another_tenants_invitation_token_does_not_let_you_in(api: Any) -> None:
    a = await make_tenant(api, "a")
    b = await make_tenant(api, "b")
    before = await snapshot(api, a)
    response = await api.post(f"{API}/invitations/accept", json={"token": a.invitation_token}, headers=b.owner.headers)
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
