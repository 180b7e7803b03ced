"""Prometheus metrics: `GET /api/v1/metrics`, the series real work moves, and the worker's own endpoint.

Each container has its own registry, so an app under test starts from zero; the tests still compare
scrapes before and after, which is what a dashboard does too.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from adapters.memory.enrichment import MemoryCircuitBreaker
from adapters.memory.metrics import MemoryMetrics
from adapters.telemetry.metered_breaker import MeteredCircuitBreaker
from adapters.telemetry.prometheus_metrics import PrometheusMetrics
from application.credit.charge_credits import ChargeCredits, ChargeCreditsCommand
from application.credit.grant_credits import GrantCredits, GrantCreditsCommand
from domain.enrichment.circuit_breaker import BreakerPolicy, Circuit
from domain.kernel.errors import Forbidden, InsufficientCredits
from domain.kernel.permissions import Role
from entrypoints.cli.processes import free_port
from entrypoints.worker.metrics_server import serve_metrics
from tests.api import Account, create_workspace, register
from tests.conftest import Backend, test_settings
from tests.fakes.receiver import Receiver
from tests.support.clock import ManualClock
from tests.support.credits import IDS, create_world
from tests.support.jobs import crowd, submit, wait_until_finished
from tests.support.temporal import worker_process
from tests.support.webhooks import subscribe

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]
UUID_LIKE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


def parse(text: str) -> Series:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: Series, after: Series, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def label_values(series: Series) -> set[str]:
    return {label for _, labels in series for _, label in labels}


async def scrape(client: Any) -> Series:
    response = await client.get("/api/v1/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


async def test_the_endpoint_answers_prometheus_text_without_auth_or_envelope(client: Any) -> None:
    response = await client.get("/api/v1/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["x-request-id"], "the edge still stamps it"
    assert not response.text.lstrip().startswith("{"), "not the JSON envelope"
    assert "# TYPE cascade_jobs_submitted_total counter" in response.text
    families = {family.name: family.type for family in text_string_to_metric_families(response.text)}
    assert families["cascade_credits_moved"] == "counter"
    assert families["cascade_provider_latency_seconds"] == "histogram"
    assert families["cascade_circuit_breaker_state"] == "gauge"
    assert all(name.startswith(("cascade_", "process_")) for name in families), sorted(families)


async def test_requests_are_counted_by_route_template_never_by_raw_path(client: Any) -> None:
    owner = await register(client)
    workspace = await create_workspace(client, owner)
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get(f"/api/v1/workspaces/{workspace}/records", headers=owner.headers)).status_code == 200
    other = uuid.uuid4()
    assert (await client.get(f"/api/v1/workspaces/{other}", headers=owner.headers)).status_code == 404
    assert (await client.get(f"/api/v1/workspaces/{other}/no-such-thing")).status_code == 404
    assert (await client.request("BREW", "/api/v1/health")).status_code >= 400
    after = await scrape(client)

    records = {"method": "GET", "route": "/api/v1/workspaces/{workspace_id}/records", "status": "200"}
    assert delta(before, after, "cascade_http_requests_total", **records) == 3
    assert delta(before, after, "cascade_http_request_duration_seconds_count", **records) == 3
    assert value(after, "cascade_http_request_duration_seconds_sum", **records) > 0
    missing = {"method": "GET", "route": "/api/v1/workspaces/{workspace_id}", "status": "404"}
    assert delta(before, after, "cascade_http_requests_total", **missing) == 1
    assert delta(before, after, "cascade_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not [labels for _, labels in after if ("method", "BREW") in labels], "an unknown method is OTHER"
    assert [labels for name, labels in after if name == "cascade_http_requests_total" and ("method", "OTHER") in labels]
    routes = {dict(labels)["route"] for name, labels in after if name == "cascade_http_requests_total"}
    assert "/api/v1/auth/register" in routes
    assert all(route == "unmatched" or route.startswith("/api/v1/") for route in routes), routes
    assert_no_identifiers(after, workspace, str(other), owner)


def assert_no_identifiers(series: Series, *known: str | Account) -> None:
    found = label_values(series)
    for thing in known:
        for text in (thing.id, thing.email) if isinstance(thing, Account) else (thing,):
            assert not [v for v in found if text in v], f"{text} is in a label"
    assert not [v for v in found if UUID_LIKE.search(v) or "@" in v or "://" in v], found


async def test_a_job_a_grant_and_a_webhook_move_their_series_by_what_happened(
    hooks_api: Any, hook_settings: dict[str, Any], receiver: Receiver
) -> None:
    api = hooks_api
    owner = await register(api)
    before = await scrape(api)
    workspace = await create_workspace(api, owner)
    hook = await subscribe(api, owner, workspace, receiver.url, ["job.completed"])

    grant = {"amount": 25, "reason": "support"}
    for _ in range(2):  # the replay moves nothing
        response = await api.post(
            f"/api/v1/workspaces/{workspace}/credits/grants",
            json=grant,
            headers={**owner.headers, "Idempotency-Key": "metrics-1"},
        )
        assert response.status_code == 201, response.text
    job = (await submit(api, owner, workspace, {"records": crowd(5, prefix="m"), "fields": ["title"]})).json()["data"]
    done = await wait_until_finished(api, owner, workspace, job["id"])
    assert done["status"] == "completed", done
    await receiver.wait_for(1)

    async def delivered() -> Series | None:
        now = await scrape(api)
        return now if delta(before, now, "cascade_webhook_deliveries_total", outcome="succeeded") else None

    after = await until(delivered)

    moved = {kind: delta(before, after, "cascade_credits_moved_total", kind=kind) for kind in ("grant", "reserve",
             "charge", "release")}  # fmt: skip
    starter = hook_settings["starter_credits"]
    assert moved == {
        "grant": starter + 25,
        "reserve": job["creditsReserved"],
        "charge": done["creditsSpent"],
        "release": job["creditsReserved"] - done["creditsSpent"],
    }
    assert delta(before, after, "cascade_jobs_submitted_total") == 1
    assert delta(before, after, "cascade_jobs_finished_total", status="completed") == 1
    assert delta(before, after, "cascade_job_records_done_total", outcome="enriched") == 5
    assert delta(before, after, "cascade_provider_attempts_total", provider="apollo", outcome="hit") == 5
    assert delta(before, after, "cascade_provider_latency_seconds_count", provider="apollo") == 5
    assert delta(before, after, "cascade_lookup_cache_lookups_total", provider="apollo", result="miss") == 5
    assert value(after, "cascade_circuit_breaker_state", provider="apollo") == 0, "closed"
    assert delta(before, after, "cascade_webhook_deliveries_total", outcome="succeeded") == 1
    assert delta(before, after, "cascade_webhook_delivery_latency_seconds_count") == 1

    # The same people again: the cache answers, no provider is called.
    again = (await submit(api, owner, workspace, {"records": crowd(5, prefix="m"), "fields": ["title"]})).json()
    await wait_until_finished(api, owner, workspace, again["data"]["id"])
    later = await scrape(api)
    assert delta(after, later, "cascade_lookup_cache_lookups_total", provider="apollo", result="hit") == 5
    assert delta(after, later, "cascade_provider_attempts_total", provider="apollo", outcome="hit") == 0
    assert delta(after, later, "cascade_credits_moved_total", kind="charge") == 0

    if hook_settings.get("database_url"):
        assert value(later, "cascade_db_pool_connections") >= 1
        assert value(later, "cascade_db_pool_max_size") == test_settings().database.pool_max
        assert value(later, "cascade_db_pool_requests_total") > 0
    assert_no_identifiers(later, workspace, job["id"], again["data"]["id"], hook["id"], owner)


async def test_failed_and_dead_lettered_deliveries_are_counted(hooks_api: Any, receiver: Receiver) -> None:
    api = hooks_api
    owner = await register(api)
    workspace = await create_workspace(api, owner)
    await subscribe(api, owner, workspace, receiver.url, ["job.completed"])
    before = await scrape(api)
    receiver.answer(503)
    job = (await submit(api, owner, workspace, {"records": crowd(1, prefix="dl"), "fields": ["title"]})).json()
    await wait_until_finished(api, owner, workspace, job["data"]["id"])

    async def dead() -> Series | None:
        now = await scrape(api)
        return now if delta(before, now, "cascade_webhook_deliveries_total", outcome="dead_lettered") else None

    after = await until(dead)
    assert delta(before, after, "cascade_webhook_deliveries_total", outcome="failed") >= 1, "retried first"
    assert delta(before, after, "cascade_webhook_deliveries_total", outcome="dead_lettered") == 1
    assert delta(before, after, "cascade_webhook_deliveries_total", outcome="succeeded") == 0
    attempts = delta(before, after, "cascade_webhook_deliveries_total", outcome="failed") + 1
    assert delta(before, after, "cascade_webhook_delivery_latency_seconds_count") == attempts


async def until(check: Any, *, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := await check()):
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)
    return found


# --- use cases: what counts is what was committed -------------------------------------------------------------


async def test_credits_count_once_committed_never_for_a_replay_or_a_refusal(backend: Backend) -> None:
    world = await create_world(backend)
    metrics = MemoryMetrics()
    charge = ChargeCredits(backend.uow(), world.clock, IDS, metrics=metrics)
    grant = GrantCredits(backend.uow(), world.clock, IDS, metrics)
    for _ in range(2):
        await charge(ChargeCreditsCommand(workspace_id=world.workspace, amount=30, idempotency_key="c1"))
    with pytest.raises(InsufficientCredits):  # rolled back: nothing moved
        await charge(ChargeCreditsCommand(workspace_id=world.workspace, amount=1000, idempotency_key="c2"))
    owner_grant = GrantCreditsCommand(
        actor_id=world.owner.id, workspace_id=world.workspace, amount=5, reason="r", idempotency_key="g1"
    )
    await grant(owner_grant)
    await grant(owner_grant)
    member = await world.join(Role.ADMIN)
    with pytest.raises(Forbidden):
        await grant(
            GrantCreditsCommand(
                actor_id=member.id, workspace_id=world.workspace, amount=5, reason="r", idempotency_key="g2"
            )
        )
    assert dict(metrics.credits) == {"charge": 30, "grant": 5}


async def test_the_metered_breaker_reports_each_circuit_as_it_changes() -> None:
    clock = ManualClock(seconds=0.0)
    breaker = MemoryCircuitBreaker(BreakerPolicy(minimum_calls=2, open_seconds=10), monotonic=clock)
    metrics = MemoryMetrics()
    metered = MeteredCircuitBreaker(breaker, metrics)
    assert await metered.allow("apollo")
    await metered.record("apollo", True)
    assert metrics.circuits == {"apollo": Circuit.CLOSED}
    assert await metered.allow("apollo")
    await metered.record("apollo", False)  # 1 failure in 2 calls: half fail, it opens
    assert metrics.circuits == {"apollo": Circuit.OPEN}
    assert not await metered.allow("apollo")
    clock.advance(11)
    assert await metered.allow("apollo"), "a probe"
    assert metrics.circuits == {"apollo": Circuit.HALF_OPEN}
    await metered.record("apollo", True)
    assert metrics.circuits == {"apollo": Circuit.CLOSED}
    registry = CollectorRegistry()
    PrometheusMetrics(registry).circuit_state("apollo", Circuit.OPEN)
    assert registry.get_sample_value("cascade_circuit_breaker_state", {"provider": "apollo"}) == 2


# --- the worker -------------------------------------------------------------------------------------------------


def test_the_worker_metrics_server_serves_its_registry_until_stopped() -> None:
    registry = CollectorRegistry()
    PrometheusMetrics(registry).job_submitted()
    port = free_port()
    stop = serve_metrics(test_settings(worker_metrics_port=port), registry)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert response.status_code == 200
        assert value(parse(response.text), "cascade_jobs_submitted_total") == 1
        serve_metrics(test_settings(worker_metrics_port=port), registry)()  # taken: logged, not raised
    finally:
        stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    assert serve_metrics(test_settings(worker_metrics_port=0), registry)() is None, "port 0: off"


async def test_a_cascade_worker_process_answers_on_its_metrics_port(
    migrated_url: str, clean_pool: Any, temporal_address: str
) -> None:
    port = free_port()
    settings = test_settings(
        profile="local",
        database_url=migrated_url,
        temporal_address=temporal_address,
        temporal_task_queue=f"metrics-{uuid.uuid4().hex[:8]}",  # this test's worker only
        worker_metrics_port=port,
    )
    worker = worker_process(settings)
    try:

        async def pool_seen() -> Series | None:
            assert worker.poll() is None, "the worker died"
            try:
                async with httpx.AsyncClient() as http:
                    response = await http.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.TransportError:
                return None
            series = parse(response.text)
            # the worker's webhook dispatcher reads the outbox: its pool shows up once opened
            return series if ("cascade_db_pool_connections", ()) in series else None

        series = await until(pool_seen, within=60)
        assert ("cascade_jobs_submitted_total", ()) in series
        assert value(series, "process_resident_memory_bytes") > 0
        assert value(series, "cascade_db_pool_max_size") == settings.database.pool_max
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
