"""Webhooks delivered end to end (QUALITY.md R3): events of real jobs, through the outbox, to a local receiver.

The API runs the dispatcher itself here (no Temporal), on memory and on PostgreSQL, with retry times compressed
to fractions of a second. The worker's side, killed mid-delivery, is tests/integration/webhooks/test_webhook_worker.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import datetime
from typing import Any

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import Account, create_workspace, register
from tests.conftest import test_settings
from tests.fakes.receiver import Receiver
from tests.support.enrichment import balance, enrich
from tests.support.jobs import crowd, submit, wait_until_finished
from tests.support.webhooks import readme_verifier, subscribe


async def deliveries(api: Any, owner: Account, workspace: str, hook: str, status: str | None = None) -> list[Any]:
    params = {"limit": 200} | ({"status": status} if status else {})
    response = await api.get(
        f"/api/v1/workspaces/{workspace}/webhooks/{hook}/deliveries", params=params, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def until(check: Any, *, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def run_job(api: Any, owner: Account, workspace: str, count: int, prefix: str) -> dict[str, Any]:
    body = {"records": crowd(count, prefix=prefix), "fields": ["title"]}
    job = (await submit(api, owner, workspace, body)).json()["data"]
    return await wait_until_finished(api, owner, workspace, job["id"])


async def test_every_event_of_a_job_arrives_signed_once_per_subscriber(hooks_api: Any, receiver: Receiver) -> None:
    owner = await register(hooks_api)
    workspace = await create_workspace(hooks_api, owner)
    hook = await subscribe(hooks_api, owner, workspace, receiver.url, ["job.completed", "record.enriched"])
    quiet = await subscribe(hooks_api, owner, workspace, receiver.url + "?quiet", ["job.failed"])

    job = await run_job(hooks_api, owner, workspace, 5, "wh1")
    got = await receiver.wait_for(6)
    await asyncio.sleep(0.3)  # nothing more comes
    got = receiver.snapshot()
    assert len(got) == 6, [g.headers.get("x-cascade-event") for g in got]
    bodies = [json.loads(g.body) for g in got]
    assert sorted(b["type"] for b in bodies) == ["job.completed"] + ["record.enriched"] * 5
    assert all(g.path == "/hook" and g.method == "POST" for g in got)
    assert [g.query for g in got] == [""] * 6, "the quiet hook (?quiet) wants none of these"
    completed = next(b for b in bodies if b["type"] == "job.completed")
    assert completed["data"]["jobId"] == job["id"]
    assert completed["workspaceId"] == workspace
    verify = readme_verifier()
    for arrived, body in zip(got, bodies, strict=True):
        assert arrived.headers["x-cascade-event"] == body["type"]
        assert arrived.headers["content-type"] == "application/json"
        assert arrived.headers["x-cascade-attempt"] == "1"
        assert verify(arrived.headers["x-cascade-signature"], arrived.body, hook["secret"])
        assert not verify(arrived.headers["x-cascade-signature"], arrived.body, quiet["secret"]), "wrong secret"
        assert not verify(arrived.headers["x-cascade-signature"], arrived.body + b" ", hook["secret"]), "tampered"
    assert len({g.delivery for g in got}) == 6, "one delivery id per event and subscriber"
    log = await deliveries(hooks_api, owner, workspace, hook["id"])
    assert {d["id"] for d in log} == {g.delivery for g in got}
    assert all(d["status"] == "succeeded" and d["attempts"] == 1 and d["responseStatus"] == 200 for d in log)
    assert await deliveries(hooks_api, owner, workspace, quiet["id"]) == []


async def test_r3_a_receiver_down_gets_retries_with_backoff_then_a_dead_letter_that_replay_delivers(
    hooks_api: Any, receiver: Receiver
) -> None:
    owner = await register(hooks_api)
    workspace = await create_workspace(hooks_api, owner)
    hook = await subscribe(hooks_api, owner, workspace, receiver.url, ["job.completed"])
    receiver.answer(503, reply=b"down for maintenance")

    await run_job(hooks_api, owner, workspace, 1, "wh2")
    dead = await until(lambda: deliveries(hooks_api, owner, workspace, hook["id"], "dead_lettered"))
    tries = receiver.snapshot()
    assert len(dead) == 1
    assert len(tries) >= 4, "tried again and again within the window"
    (letter,) = dead
    assert {t.delivery for t in tries} == {letter["id"]}, "every retry is the same delivery"
    assert {t.body for t in tries} == {tries[0].body}, "with the same body"
    assert [t.headers["x-cascade-attempt"] for t in tries] == [str(n) for n in range(1, len(tries) + 1)]
    gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
    steps = [min(0.1 * 2**n, 0.4) for n in range(len(gaps))]
    assert all(gap >= step / 2 - 0.02 for gap, step in zip(gaps, steps, strict=True)), (gaps, steps)
    assert gaps[-1] > gaps[0], "the waits grow"
    assert letter["attempts"] == len(tries)
    assert letter["responseStatus"] == 503
    assert letter["responseBody"] == "down for maintenance"
    assert letter["nextAttemptAt"] is None
    assert (await deliveries(hooks_api, owner, workspace, hook["id"], "pending")) == []

    url = f"/api/v1/workspaces/{workspace}/webhooks/{hook['id']}/deliveries/{letter['id']}"
    detail = (await hooks_api.get(url, headers=owner.headers)).json()["data"]
    assert json.loads(detail["payload"])["type"] == "job.completed", "a dead letter is inspectable"

    receiver.received.clear()
    receiver.answer(200)
    replay = await hooks_api.post(url + "/replay", headers=owner.headers)
    assert replay.status_code == 202, replay.text
    (again,) = await receiver.wait_for(1)
    assert again.delivery == letter["id"], "the same delivery"
    assert again.body == tries[0].body, "the same bytes"
    assert readme_verifier()(again.headers["x-cascade-signature"], again.body, hook["secret"])
    done = await until(lambda: deliveries(hooks_api, owner, workspace, hook["id"], "succeeded"))
    assert done[0]["id"] == letter["id"]
    assert done[0]["attempts"] == 1
    assert done[0]["replayedAt"] is not None


async def test_a_receiver_that_recovers_gets_the_delivery_and_the_streak_stays_clear(
    hooks_api: Any, receiver: Receiver
) -> None:
    owner = await register(hooks_api)
    workspace = await create_workspace(hooks_api, owner)
    hook = await subscribe(hooks_api, owner, workspace, receiver.url, ["job.completed"])
    receiver.answer(500)
    await run_job(hooks_api, owner, workspace, 1, "wh3")
    await receiver.wait_for(2)
    receiver.answer(204)
    (done,) = await until(lambda: deliveries(hooks_api, owner, workspace, hook["id"], "succeeded"))
    assert done["attempts"] >= 3
    assert done["responseStatus"] == 204
    webhook = await hooks_api.get(f"/api/v1/workspaces/{workspace}/webhooks/{hook['id']}", headers=owner.headers)
    assert webhook.json()["data"]["active"] is True
    assert webhook.json()["data"]["failureStreak"] == 0


async def test_the_log_keeps_every_attempt_a_500_a_timeout_the_200_and_a_replay(
    hook_settings: dict[str, Any], receiver: Receiver
) -> None:
    receiver.received.clear()
    receiver.answer(200)
    receiver.answer_in_turn((500, 0.0, b'{"error":"receiver exploded"}'), (200, 1.5, b"too late"))
    settings = test_settings(**hook_settings | {"webhook_timeout_seconds": 0.5, "webhook_retry_window_seconds": 60.0})
    async with AsyncTestClient(app=create_app(settings)) as api:
        owner = await register(api)
        workspace = await create_workspace(api, owner)
        hook = await subscribe(api, owner, workspace, receiver.url, ["job.completed"])
        await run_job(api, owner, workspace, 1, "wh5")
        (done,) = await until(lambda: deliveries(api, owner, workspace, hook["id"], "succeeded"))
        tries = receiver.snapshot()
        url = f"/api/v1/workspaces/{workspace}/webhooks/{hook['id']}/deliveries/{done['id']}"
        detail = (await api.get(url, headers=owner.headers)).json()["data"]

        receiver.answer(204, reply=b"")
        assert (await api.post(url + "/replay", headers=owner.headers)).status_code == 202

        async def replayed() -> Any:
            found = (await api.get(url, headers=owner.headers)).json()["data"]
            return found if found["status"] == "succeeded" else None

        again = await until(replayed)

    assert "attemptLog" not in done, "the list stays a summary"
    assert len(tries) == 3
    log = detail["attemptLog"]
    assert [(a["attempt"], a["responseStatus"]) for a in log] == [(1, 500), (2, None), (3, 200)]
    assert [a["responseBody"] for a in log] == ['{"error":"receiver exploded"}', "", '{"ok":true}']
    failed, timed_out, succeeded = log
    assert failed["error"] == "the receiver answered 500"
    assert "no complete answer within 0.5 s" in timed_out["error"]
    assert succeeded["error"] is None
    assert 500 <= timed_out["latencyMs"] < 1500, "cut off at the timeout"
    assert failed["latencyMs"] < 500
    for entry, arrived in zip(log, tries, strict=True):
        assert datetime.fromisoformat(entry["startedAt"]).timestamp() <= arrived.at, "started before it arrived"
    assert (detail["attempts"], detail["responseStatus"], detail["latencyMs"]) == (3, 200, succeeded["latencyMs"])
    assert datetime.fromisoformat(detail["lastAttemptAt"]) >= datetime.fromisoformat(succeeded["startedAt"])

    assert again["attemptLog"][:3] == log, "a replay appends"
    (replay,) = again["attemptLog"][3:]
    assert (replay["attempt"], replay["responseStatus"], replay["responseBody"]) == (1, 204, "")
    assert again["attempts"] == 1


async def test_a_webhook_failing_for_good_again_and_again_is_disabled_with_an_audit_entry(
    hooks_api: Any, receiver: Receiver
) -> None:
    owner = await register(hooks_api)
    workspace = await create_workspace(hooks_api, owner)
    hook = await subscribe(hooks_api, owner, workspace, receiver.url, ["job.completed"])
    receiver.answer(410)
    base = f"/api/v1/workspaces/{workspace}/webhooks/{hook['id']}"

    async def disabled() -> Any:
        found = (await hooks_api.get(base, headers=owner.headers)).json()["data"]
        return found if not found["active"] else None

    for n in range(2):  # CASCADE_WEBHOOK_DISABLE_AFTER=2
        await run_job(hooks_api, owner, workspace, 1, f"wh4{n}")
        await until(lambda n=n: _count(deliveries(hooks_api, owner, workspace, hook["id"], "dead_lettered"), n + 1))
    webhook = await until(disabled)
    assert webhook["failureStreak"] == 2
    assert "2 deliveries in a row" in webhook["disabledReason"]
    audit = await hooks_api.get(f"/api/v1/workspaces/{workspace}/audit-log", headers=owner.headers)
    actions = [(e["action"], e["actorId"]) for e in audit.json()["data"]]
    assert ("webhook.disabled", None) in actions

    receiver.received.clear()
    await run_job(hooks_api, owner, workspace, 1, "wh4x")
    await asyncio.sleep(0.5)
    assert receiver.snapshot() == [], "a disabled webhook gets nothing"
    replay = await hooks_api.post(
        f"{base}/deliveries/{(await deliveries(hooks_api, owner, workspace, hook['id']))[0]['id']}/replay",
        headers=owner.headers,
    )
    assert replay.status_code == 409, "enable it first"

    enabled = await hooks_api.patch(base, json={"active": True}, headers=owner.headers)
    assert enabled.json()["data"]["active"] is True
    assert enabled.json()["data"]["failureStreak"] == 0


async def _count(listing: Any, n: int) -> bool:
    return len(await listing) >= n


async def test_credits_low_fires_once_when_available_credits_fall_below_the_threshold(
    hooks_api: Any, receiver: Receiver
) -> None:
    owner = await register(hooks_api)
    workspace = await create_workspace(hooks_api, owner)  # 1,000 starter credits; threshold 50 by default
    await subscribe(hooks_api, owner, workspace, receiver.url, ["credits.low"])
    # Each person reserves 4 credits: 240 records reserve 960, leaving 40 available until the job ends.
    job = await submit(hooks_api, owner, workspace, {"records": crowd(240, prefix="low"), "fields": ["title"]})
    assert job.status_code == 202, job.text
    (alert,) = await receiver.wait_for(1)
    body = json.loads(alert.body)
    assert body["type"] == "credits.low"
    assert body["data"]["threshold"] == 50
    assert body["data"]["available"] == 40
    await wait_until_finished(hooks_api, owner, workspace, job.json()["data"]["id"])
    await asyncio.sleep(0.3)
    assert len(receiver.snapshot()) == 1, "once per fall"


async def test_credits_low_is_judged_over_a_whole_synchronous_enrich_not_its_passing_reservation(
    hook_settings: dict[str, Any], receiver: Receiver
) -> None:
    receiver.received.clear()
    receiver.answer(200)
    settings = test_settings(**hook_settings | {"starter_credits": 52})
    async with AsyncTestClient(app=create_app(settings)) as api:
        owner = await register(api)
        workspace = await create_workspace(api, owner)
        await subscribe(api, owner, workspace, receiver.url, ["credits.low"])
        person = crowd(3, prefix="sync")
        # Each enrich reserves 4 credits for a moment (52 -> 48), pays 1 and releases 3: 51, then 50, then 49.
        for n, expected in enumerate((51, 50, 49)):
            response = await enrich(api, owner, workspace, {**person[n], "fields": ["title"]})
            assert response.status_code == 200, response.text
            assert await balance(api, owner, workspace) == expected
        (alert,) = await receiver.wait_for(1)
        await asyncio.sleep(0.3)
        assert len(receiver.snapshot()) == 1, "the passing dips to 48 did not count"
        data = json.loads(alert.body)["data"]
        assert data["available"] == 49
        assert data["balance"] == 49
        assert data["reserved"] == 0
