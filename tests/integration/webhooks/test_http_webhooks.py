"""Outgoing webhooks over HTTP, on the memory profile and on PostgreSQL + Redis.

Subscriptions (secret shown once, roles, validation, the cap, audit), test pings to a real receiver on 127.0.0.1
(signed headers, rotation's two signatures, failures), the delivery log and replays. The API runs with
127.0.0.1/32 allowlisted and the dispatcher's idle poll at a minute, so nothing is delivered in the background
while a test looks at a pending delivery; the replay test that wants delivery uses a fast-polling app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient

from domain.kernel.signatures import parse_header, verify
from entrypoints.http.app import create_app
from tests.api import Account, Team, assert_error, make_team, register
from tests.conftest import test_settings
from tests.fakes.receiver import Receiver, running_receiver
from tests.support.enrichment import on_backend

LOOPBACK = {"network_allowlist": "127.0.0.1/32"}
QUIET = {**LOOPBACK, "webhook_poll_seconds": 60.0}  # the background dispatcher idles once started
UNREACHABLE = "http://127.0.0.1:9/hook"  # allowlisted, nothing listens: a ping fails at once
SOMEWHERE = "https://hooks.example.com/cascade"
WEBHOOK_FIELDS = {
    "id", "url", "events", "active", "failureStreak", "disabledReason", "previousSecretExpiresAt", "createdAt",
    "updatedAt",
}  # fmt: skip
DELIVERY_FIELDS = {
    "id", "webhookId", "eventId", "event", "status", "attempts", "nextAttemptAt", "lastAttemptAt", "responseStatus",
    "latencyMs", "responseBody", "error", "createdAt", "replayedAt", "finishedAt",
}  # fmt: skip
ATTEMPT_FIELDS = {"attempt", "startedAt", "responseStatus", "latencyMs", "responseBody", "error"}


@pytest.fixture(params=["memory", "postgres"])
def backend_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return on_backend(request, {})


async def _client(settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(test_settings(**settings))) as client:
        yield client


@pytest.fixture
async def hooks(backend_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    async for client in _client(backend_settings | QUIET):
        yield client


@pytest.fixture
async def delivering(backend_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """The dispatcher polls often: replayed deliveries are sent within a moment."""
    async for client in _client(backend_settings | LOOPBACK | {"webhook_poll_seconds": 0.05}):
        yield client


@pytest.fixture
async def unallowed(backend_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """No allowlist: loopback and private addresses are refused as everywhere outside tests."""
    async for client in _client(backend_settings):
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def hook(team: Team, webhook_id: str = "", tail: str = "") -> str:
    return team.url("/webhooks") + (f"/{webhook_id}" if webhook_id else "") + tail


async def create(api: Any, team: Team, url: str = SOMEWHERE, *, as_: Account | None = None, **body: Any) -> Any:
    response = await api.post(
        hook(team), json={"url": url, "events": ["job.completed"], **body}, headers=(as_ or team.admin).headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def ping(api: Any, team: Team, webhook_id: str, as_: Account | None = None) -> Any:
    response = await api.post(hook(team, webhook_id, "/test"), headers=(as_ or team.admin).headers)
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == DELIVERY_FIELDS
    return response.json()["data"]


async def listed(api: Any, url: str, as_: Account, **params: Any) -> tuple[list[Any], str | None]:
    response = await api.get(url, params=params, headers=as_.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"], response.json()["meta"]["nextCursor"]


async def audit_log(api: Any, team: Team) -> list[Any]:
    entries, _ = await listed(api, team.url("/audit-log"), team.owner, limit=200)
    return [e for e in entries if e["targetType"] == "webhook"]


def at(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def verifies(received: Any, secret: str) -> bool:
    header = received.headers["x-cascade-signature"]
    return verify(header, secret, received.body, now=int(time.time()))


# --- subscriptions --------------------------------------------------------------------------------------------


async def test_create_answers_the_secret_once(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    response = await hooks.post(
        hook(team),
        json={"url": "HTTPS://Hooks.Example.com:443/In", "events": ["job.failed", "credits.low"]},
        headers=team.admin.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    made = response.json()["data"]
    assert set(made) == WEBHOOK_FIELDS | {"secret"}
    secret = made["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) >= 6 + 40
    assert (made["url"], made["events"], made["active"]) == (
        "https://hooks.example.com/In",
        ["credits.low", "job.failed"],
        True,
    )
    assert (made["failureStreak"], made["disabledReason"], made["previousSecretExpiresAt"]) == (0, None, None)

    one = await hooks.get(hook(team, made["id"]), headers=team.owner.headers)
    rows, _ = await listed(hooks, hook(team), team.owner)
    assert one.status_code == 200
    assert set(one.json()["data"]) == WEBHOOK_FIELDS
    assert [set(r) for r in rows] == [WEBHOOK_FIELDS]
    for text in (one.text, str(rows)):
        assert secret not in text
        assert "whsec_" not in text
    other = await create(hooks, team, as_=team.owner, active=False)
    assert other["secret"] != secret
    assert other["active"] is False


async def test_viewers_and_members_are_forbidden_strangers_see_nothing(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    stranger = await register(hooks, "stranger")
    made = await create(hooks, team, UNREACHABLE)
    failed = await ping(hooks, team, made["id"])
    wid, did = made["id"], failed["id"]
    calls = [
        ("GET", hook(team), None), ("POST", hook(team), {"url": SOMEWHERE, "events": ["job.failed"]}),
        ("GET", hook(team, wid), None), ("PATCH", hook(team, wid), {"active": False}),
        ("DELETE", hook(team, wid), None), ("POST", hook(team, wid, "/rotate-secret"), None),
        ("GET", hook(team, wid, "/deliveries"), None), ("GET", hook(team, wid, f"/deliveries/{did}"), None),
        ("POST", hook(team, wid, f"/deliveries/{did}/replay"), None), ("POST", hook(team, wid, "/test"), None),
    ]  # fmt: skip
    for account, status, code in (
        (team.viewer, 403, "FORBIDDEN"),
        (team.member, 403, "FORBIDDEN"),
        (stranger, 404, "NOT_FOUND"),
    ):
        for method, url, body in calls:
            response = await hooks.request(method, url, json=body, headers=account.headers)
            assert_error(response, status, code)
            assert made["secret"] not in response.text
    after = await hooks.get(hook(team, wid), headers=team.admin.headers)
    assert after.json()["data"] == {k: v for k, v in made.items() if k != "secret"}, "nothing changed"
    assert [d["id"] for d in (await listed(hooks, hook(team, wid, "/deliveries"), team.admin))[0]] == [did]

    for account in (team.owner, team.admin):  # both may do everything (the deletion comes last)
        for method, url, body in calls:
            if method == "DELETE" or url.endswith("/replay"):
                continue
            response = await hooks.request(method, url, json=body, headers=account.headers)
            assert response.status_code in (200, 201), (method, url, response.text)
        await hooks.patch(hook(team, wid), json={"active": True}, headers=account.headers)
        fresh = await ping(hooks, team, wid, as_=account)
        replayed = await hooks.post(hook(team, wid, f"/deliveries/{fresh['id']}/replay"), headers=account.headers)
        assert replayed.status_code == 202, replayed.text
    assert (await hooks.delete(hook(team, wid), headers=team.owner.headers)).status_code == 204


BAD_BODIES = [
    ({"url": SOMEWHERE, "events": ["job.exploded"]}, "events"),
    ({"url": SOMEWHERE, "events": []}, "events"),
    ({"url": SOMEWHERE, "events": ["job.failed", "job.failed"]}, "events"),
    ({"url": SOMEWHERE, "events": ["ping"]}, "events"),
    ({"url": SOMEWHERE, "events": "job.failed"}, "events"),
    ({"url": "not a url", "events": ["job.failed"]}, "url"),
    ({"url": "hooks.example.com/in", "events": ["job.failed"]}, "url"),
    ({"url": "ftp://hooks.example.com/in", "events": ["job.failed"]}, "url"),
    ({"url": "https://user:password@hooks.example.com/in", "events": ["job.failed"]}, "url"),
    ({"url": "http://10.0.0.1/", "events": ["job.failed"]}, "url"),  # not allowlisted even here
    ({"url": "https://hooks.example.com/" + "a" * 2100, "events": ["job.failed"]}, "url"),
    ({"url": 42, "events": ["job.failed"]}, "url"),
    ({"url": SOMEWHERE, "events": ["job.failed"], "active": "yes"}, "active"),
    ({"url": SOMEWHERE, "events": ["job.failed"], "secret": "whsec_mine"}, "data"),  # no secret of your own
    ({"events": ["job.failed"]}, "data"),
]


async def test_bad_bodies_are_422_and_store_nothing(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    kept = await create(hooks, team)
    for body, field in BAD_BODIES:
        response = await hooks.post(hook(team), json=body, headers=team.admin.headers)
        error = assert_error(response, 422, "VALIDATION_FAILED")
        assert [d["field"] for d in error["details"]] == [field], (body, error)
        patch = {k: v for k, v in body.items() if k != "events" or field == "events"}
        if field in ("url", "events"):
            response = await hooks.patch(hook(team, kept["id"]), json=patch, headers=team.admin.headers)
            assert_error(response, 422, "VALIDATION_FAILED")
    rows, _ = await listed(hooks, hook(team), team.admin)
    assert [(r["id"], r["url"], r["events"]) for r in rows] == [(kept["id"], SOMEWHERE, ["job.completed"])]
    unknown = await hooks.patch(hook(team, kept["id"]), json={"secret": "x"}, headers=team.admin.headers)
    assert_error(unknown, 422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://127.0.0.1:8080/hook",
        "http://[::1]/",
        "http://0x7f.1/",
        "http://192.168.0.10/hook",
    ],
)
async def test_internal_addresses_are_refused_without_the_allowlist(unallowed: Any, url: str) -> None:
    team = await make_team(unallowed, "Hooks")
    response = await unallowed.post(hook(team), json={"url": url, "events": ["job.failed"]}, headers=team.admin.headers)
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == ["url"]
    kept = await create(unallowed, team)
    moved = await unallowed.patch(hook(team, kept["id"]), json={"url": url}, headers=team.admin.headers)
    assert_error(moved, 422, "VALIDATION_FAILED")
    assert (await unallowed.get(hook(team, kept["id"]), headers=team.admin.headers)).json()["data"]["url"] == SOMEWHERE


async def test_a_workspace_has_at_most_25_webhooks(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    made = [await create(hooks, team, f"https://hooks.example.com/{n}") for n in range(25)]
    response = await hooks.post(
        hook(team), json={"url": SOMEWHERE, "events": ["job.failed"]}, headers=team.admin.headers
    )
    assert "25" in assert_error(response, 409, "CONFLICT")["message"]
    paused = await hooks.patch(hook(team, made[0]["id"]), json={"active": False}, headers=team.admin.headers)
    assert paused.status_code == 200
    assert_error(
        await hooks.post(hook(team), json={"url": SOMEWHERE, "events": ["job.failed"]}, headers=team.admin.headers),
        409,
        "CONFLICT",
    )
    assert (await hooks.delete(hook(team, made[0]["id"]), headers=team.admin.headers)).status_code == 204
    await create(hooks, team)


async def test_patch_changes_what_it_names_and_every_change_is_audited_without_secrets(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team)
    wid = made["id"]
    moved = await hooks.patch(
        hook(team, wid), json={"url": "https://other.example.com/x#frag"}, headers=team.admin.headers
    )
    assert moved.status_code == 200, moved.text
    data = moved.json()["data"]
    assert set(data) == WEBHOOK_FIELDS
    assert (data["url"], data["events"], data["active"]) == ("https://other.example.com/x", ["job.completed"], True)
    assert at(data["updatedAt"]) > at(made["updatedAt"])
    assert data["createdAt"] == made["createdAt"]
    both = await hooks.patch(
        hook(team, wid), json={"events": ["job.failed", "record.enriched"], "active": False}, headers=team.owner.headers
    )
    assert (both.json()["data"]["events"], both.json()["data"]["active"]) == (["job.failed", "record.enriched"], False)
    same = await hooks.patch(hook(team, wid), json={"active": False}, headers=team.admin.headers)
    assert same.json()["data"] == both.json()["data"], "no change, no new updatedAt"
    empty = await hooks.patch(hook(team, wid), json={}, headers=team.admin.headers)
    assert empty.status_code == 200
    assert empty.json()["data"]["active"] is False
    rotated = await hooks.post(hook(team, wid, "/rotate-secret"), headers=team.admin.headers)
    assert rotated.status_code == 200, rotated.text
    assert (await hooks.delete(hook(team, wid), headers=team.admin.headers)).status_code == 204

    entries = await audit_log(hooks, team)
    assert [(e["action"], e["targetId"], e["actorId"]) for e in reversed(entries)] == [
        ("webhook.created", wid, team.admin.id),
        ("webhook.updated", wid, team.admin.id),
        ("webhook.updated", wid, team.owner.id),
        ("webhook.secret_rotated", wid, team.admin.id),
        ("webhook.deleted", wid, team.admin.id),
    ]
    details = [e["details"] for e in reversed(entries)]
    assert details[0] == {"url": SOMEWHERE, "events": ["job.completed"]}
    assert details[1] == {"url": "https://other.example.com/x", "fields": ["url"]}
    assert sorted(details[2]["fields"]) == ["active", "events"]
    text = str(entries)
    for secret in (made["secret"], rotated.json()["data"]["secret"], "whsec_"):
        assert secret not in text


async def test_a_deleted_webhook_is_gone_with_its_log(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, UNREACHABLE)
    did = (await ping(hooks, team, made["id"]))["id"]
    response = await hooks.delete(hook(team, made["id"]), headers=team.admin.headers)
    assert response.status_code == 204
    assert response.content == b""
    for method, tail in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("GET", "/deliveries"),
        ("GET", f"/deliveries/{did}"),
        ("POST", f"/deliveries/{did}/replay"),
        ("POST", "/test"),
    ):
        body = {"active": True} if method == "PATCH" else None
        assert_error(
            await hooks.request(method, hook(team, made["id"], tail), json=body, headers=team.admin.headers),
            404,
            "NOT_FOUND",
        )
    assert (await listed(hooks, hook(team), team.admin))[0] == []


# --- test pings -----------------------------------------------------------------------------------------------


async def test_a_ping_is_signed_with_the_secret_and_logged(hooks: Any, receiver: Receiver) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, receiver.url)
    answered = await ping(hooks, team, made["id"])
    assert (answered["status"], answered["responseStatus"], answered["event"]) == ("succeeded", 200, "ping")
    assert (answered["webhookId"], answered["eventId"], answered["attempts"]) == (made["id"], None, 1)
    assert answered["responseBody"] == '{"ok":true}'
    assert answered["error"] is None
    assert isinstance(answered["latencyMs"], int)
    assert answered["finishedAt"] is not None

    [got] = receiver.snapshot()
    assert (got.method, got.path) == ("POST", "/hook")
    assert got.headers["x-cascade-event"] == "ping"
    assert got.headers["x-cascade-delivery"] == answered["id"]
    assert got.headers["x-cascade-attempt"] == "1"
    assert got.headers["content-type"] == "application/json"
    assert verifies(got, made["secret"])
    assert not verifies(got, "whsec_" + "0" * 43), "another secret does not verify"
    assert len(parse_header(got.headers["x-cascade-signature"]).signatures) == 1
    assert made["secret"] not in str(got.headers)

    log, _ = await listed(hooks, hook(team, made["id"], "/deliveries"), team.admin)
    assert log == [answered]
    one = await hooks.get(hook(team, made["id"], f"/deliveries/{answered['id']}"), headers=team.owner.headers)
    assert one.status_code == 200, one.text
    detail = one.json()["data"]
    assert set(detail) == DELIVERY_FIELDS | {"payload", "attemptLog"}
    assert detail["payload"].encode() == got.body, "the exact bytes that were signed and sent"
    assert {k: v for k, v in detail.items() if k not in ("payload", "attemptLog")} == answered
    (attempt,) = detail["attemptLog"]
    assert set(attempt) == ATTEMPT_FIELDS
    assert (attempt["attempt"], attempt["responseStatus"], attempt["responseBody"], attempt["error"]) == (
        1,
        200,
        '{"ok":true}',
        None,
    )
    assert attempt["latencyMs"] == answered["latencyMs"]
    assert at(answered["createdAt"]) <= at(attempt["startedAt"]) <= at(answered["lastAttemptAt"])
    assert_error(
        await hooks.get(hook(team, made["id"], f"/deliveries/{uuid4()}"), headers=team.admin.headers), 404, "NOT_FOUND"
    )


async def test_a_ping_to_a_failing_receiver_is_failed_with_its_answer(hooks: Any, receiver: Receiver) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, receiver.url, active=False)  # an inactive webhook can be pinged
    receiver.answer(500, reply=b'{"error":"receiver exploded"}')
    answered = await ping(hooks, team, made["id"])
    assert (answered["status"], answered["responseStatus"]) == ("failed", 500)
    assert answered["responseBody"] == '{"error":"receiver exploded"}'
    assert "500" in answered["error"]
    assert answered["nextAttemptAt"] is None
    unreachable = await create(hooks, team, UNREACHABLE)
    refused = await ping(hooks, team, unreachable["id"])
    assert (refused["status"], refused["responseStatus"], refused["responseBody"]) == ("failed", None, "")
    assert refused["error"]
    for failed, status in ((answered, 500), (refused, None)):
        detail = await hooks.get(
            hook(team, failed["webhookId"], f"/deliveries/{failed['id']}"), headers=team.admin.headers
        )
        (attempt,) = detail.json()["data"]["attemptLog"]
        assert (attempt["responseStatus"], attempt["responseBody"], attempt["error"]) == (
            status,
            failed["responseBody"],
            failed["error"],
        )
    still = await hooks.get(hook(team, made["id"]), headers=team.admin.headers)
    assert still.json()["data"]["failureStreak"] == 0, "a ping does not count towards disabling"


async def test_after_rotation_a_ping_carries_both_signatures(hooks: Any, receiver: Receiver) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, receiver.url)
    before = at(made["createdAt"])
    response = await hooks.post(hook(team, made["id"], "/rotate-secret"), headers=team.admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()["data"]
    assert set(rotated) == WEBHOOK_FIELDS | {"secret"}
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    expires = at(rotated["previousSecretExpiresAt"])
    assert timedelta(hours=23) < expires - before < timedelta(hours=25), "a day of grace by default"
    shown = await hooks.get(hook(team, made["id"]), headers=team.admin.headers)
    assert shown.json()["data"]["previousSecretExpiresAt"] == rotated["previousSecretExpiresAt"]
    assert rotated["secret"] not in shown.text
    assert made["secret"] not in shown.text

    await ping(hooks, team, made["id"])
    [got] = receiver.snapshot()
    header = got.headers["x-cascade-signature"]
    assert header.count("v1=") == 2
    assert verifies(got, rotated["secret"])
    assert verifies(got, made["secret"])
    assert not verifies(got, "whsec_not-the-secret")
    new_only = header.split(",v1=")[0] + ",v1=" + header.split(",v1=")[1]
    assert verify(new_only, rotated["secret"], got.body, now=int(time.time())), "the new secret signs first"


# --- the delivery log and replays -----------------------------------------------------------------------------


async def test_replay_refuses_pending_unknown_and_inactive(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, UNREACHABLE)
    failed = await ping(hooks, team, made["id"])
    replay = hook(team, made["id"], f"/deliveries/{failed['id']}/replay")
    response = await hooks.post(replay, headers=team.admin.headers)
    assert response.status_code == 202, response.text
    again = response.json()["data"]
    assert set(again) == DELIVERY_FIELDS
    assert (again["id"], again["status"], again["attempts"], again["finishedAt"]) == (failed["id"], "pending", 0, None)
    assert again["replayedAt"] is not None
    assert again["nextAttemptAt"] == again["replayedAt"]
    assert again["createdAt"] == failed["createdAt"]
    assert (
        "already pending"
        in assert_error(await hooks.post(replay, headers=team.admin.headers), 409, "CONFLICT")["message"]
    )

    # deactivating dead-letters what is pending; an inactive webhook's deliveries are not replayed
    await hooks.patch(hook(team, made["id"]), json={"active": False}, headers=team.admin.headers)
    dead, _ = await listed(hooks, hook(team, made["id"], "/deliveries"), team.admin, status="dead_lettered")
    assert [(d["id"], d["error"]) for d in dead] == [(failed["id"], "the webhook was deactivated")]
    assert "inactive" in assert_error(await hooks.post(replay, headers=team.admin.headers), 409, "CONFLICT")["message"]
    await hooks.patch(hook(team, made["id"]), json={"active": True}, headers=team.admin.headers)
    assert (await hooks.post(replay, headers=team.admin.headers)).status_code == 202

    for unknown in (
        hook(team, made["id"], f"/deliveries/{uuid4()}/replay"),
        hook(team, str(uuid4()), f"/deliveries/{failed['id']}/replay"),
    ):
        assert_error(await hooks.post(unknown, headers=team.admin.headers), 404, "NOT_FOUND")
    other = await create(hooks, team)  # the delivery belongs to another webhook of the workspace
    assert_error(
        await hooks.post(hook(team, other["id"], f"/deliveries/{failed['id']}/replay"), headers=team.admin.headers),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await hooks.get(hook(team, other["id"], f"/deliveries/{failed['id']}"), headers=team.admin.headers),
        404,
        "NOT_FOUND",
    )


async def test_a_replay_is_sent_again_with_the_same_id_and_body(delivering: Any, receiver: Receiver) -> None:
    team = await make_team(delivering, "Hooks")
    made = await create(delivering, team, receiver.url)
    receiver.answer(503)
    failed = await ping(delivering, team, made["id"])
    assert failed["status"] == "failed"
    receiver.answer(200)
    response = await delivering.post(
        hook(team, made["id"], f"/deliveries/{failed['id']}/replay"), headers=team.admin.headers
    )
    assert response.status_code == 202, response.text
    first, second = await receiver.wait_for(2)
    assert second.delivery == first.delivery == failed["id"]
    assert second.body == first.body
    assert second.headers["x-cascade-attempt"] == "1", "a replay starts counting again"
    assert verifies(second, made["secret"])
    url = hook(team, made["id"], f"/deliveries/{failed['id']}")
    for _ in range(200):
        done = (await delivering.get(url, headers=team.admin.headers)).json()["data"]
        if done["status"] != "pending":
            break
        await asyncio.sleep(0.05)
    assert (done["status"], done["responseStatus"], done["attempts"]) == ("succeeded", 200, 1)
    log = [(a["attempt"], a["responseStatus"]) for a in done["attemptLog"]]
    assert log == [(1, 503), (1, 200)], "the failed ping and its replay, oldest first"


async def test_the_log_is_newest_first_filtered_by_status_and_paged(hooks: Any, receiver: Receiver) -> None:
    team = await make_team(hooks, "Hooks")
    made = await create(hooks, team, receiver.url)
    outcomes = []
    for status in (200, 500, 204, 404, 200):
        receiver.answer(status)
        outcomes.append(await ping(hooks, team, made["id"]))
    url = hook(team, made["id"], "/deliveries")
    everything, cursor = await listed(hooks, url, team.admin)
    assert [d["id"] for d in everything] == [d["id"] for d in reversed(outcomes)]
    assert cursor is None
    for status, expected in (("succeeded", [4, 2, 0]), ("failed", [3, 1]), ("pending", []), ("dead_lettered", [])):
        rows, _ = await listed(hooks, url, team.admin, status=status)
        assert [d["id"] for d in rows] == [outcomes[i]["id"] for i in expected], status

    page, cursor = await listed(hooks, url, team.admin, limit=2)
    seen = [d["id"] for d in page]
    while cursor:
        page, cursor = await listed(hooks, url, team.admin, limit=2, cursor=cursor)
        seen += [d["id"] for d in page]
    assert seen == [d["id"] for d in reversed(outcomes)]
    first, cursor = await listed(hooks, url, team.admin, status="succeeded", limit=2)
    rest, end = await listed(hooks, url, team.admin, status="succeeded", limit=2, cursor=cursor)
    assert [d["id"] for d in first + rest] == [outcomes[i]["id"] for i in (4, 2, 0)]
    assert end is None

    for params in (
        {"status": "bogus"},
        {"status": "DEAD_LETTERED"},
        {"status": ""},
        {"limit": 0},
        {"cursor": "not-a-cursor"},
    ):
        error = assert_error(await hooks.get(url, params=params, headers=team.admin.headers), 422, "VALIDATION_FAILED")
        assert [d["field"] for d in error["details"]] == list(params)


async def test_webhooks_are_listed_oldest_first_in_pages(hooks: Any) -> None:
    team = await make_team(hooks, "Hooks")
    made = [await create(hooks, team, f"https://hooks.example.com/{n}") for n in range(5)]
    seen: list[str] = []
    page, cursor = await listed(hooks, hook(team), team.admin, limit=2)
    sizes = [len(page)]
    seen += [w["id"] for w in page]
    while cursor:
        page, cursor = await listed(hooks, hook(team), team.admin, limit=2, cursor=cursor)
        sizes.append(len(page))
        seen += [w["id"] for w in page]
    assert sizes == [2, 2, 1]
    assert seen == [w["id"] for w in made]
    other = await make_team(hooks, "Other")
    assert (await listed(hooks, hook(other), other.admin))[0] == []
