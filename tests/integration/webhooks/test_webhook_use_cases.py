"""Webhook use cases on both backends, where the HTTP tests cannot reach: a secret no key opens, a lease lost
before its attempt was recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from adapters.system.jitter import SystemJitter
from application.webhook.deliver_due_webhooks import DeliverDueWebhooks
from application.webhook.signing import UNREADABLE_SECRET
from domain.webhooks.webhook import AttemptOutcome, DeliveryStatus, WebhookPolicy, secret_context
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist
from tests.support.builders.webhooks import new_delivery, new_webhook, store_deliveries, store_webhooks
from tests.support.keyring import box


class CountingSender:
    """Our own port, answering 200 and counting what it was asked to send."""

    def __init__(self) -> None:
        self.sent = 0

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptOutcome:
        self.sent += 1
        return AttemptOutcome(status_code=200, latency_ms=1)


async def test_a_secret_no_configured_key_opens_fails_the_attempt_and_nothing_is_sent_unsigned(
    backend: Backend,
) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    webhook = new_webhook(workspace)  # sealed under "v1", but with bytes that key never made
    await store_webhooks(backend, webhook)
    delivery = new_delivery(webhook)
    await store_deliveries(backend, delivery)
    sender = CountingSender()
    deliver = DeliverDueWebhooks(
        backend.uow(), backend.webhooks, sender, box("v1"), WebhookPolicy(), SystemClock(), Uuid7Generator(),
        SystemJitter(),
    )  # fmt: skip

    outcome = await deliver(10)

    assert sender.sent == 0
    assert outcome.claimed == 1
    (failed,) = outcome.failures
    assert failed.id == delivery.id
    assert failed.status is DeliveryStatus.PENDING, "retried: the operator may put the key back"
    assert failed.last_error == UNREADABLE_SECRET
    stored = await backend.webhooks.delivery_detail(workspace.id, webhook.id, delivery.id)
    assert stored is not None
    assert stored.delivery.attempts == 1
    assert stored.delivery.last_error == UNREADABLE_SECRET
    (logged,) = stored.attempts
    assert (logged.number, logged.outcome) == (
        1,
        AttemptOutcome(status_code=None, latency_ms=0, error=UNREADABLE_SECRET),
    )


class ScriptedSender:
    """Our own port, answering each POST with the next of its outcomes and noting the attempt header it got."""

    def __init__(self, *outcomes: AttemptOutcome) -> None:
        self._outcomes = list(outcomes)
        self.attempt_headers: list[str] = []

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptOutcome:
        self.attempt_headers.append(headers["X-Cascade-Attempt"])
        return self._outcomes.pop(0)


async def test_each_recorded_attempt_is_logged_and_one_whose_lease_was_lost_is_not(backend: Backend) -> None:
    owner = new_user()
    workspace = new_workspace(owner)
    await persist(backend, owner, workspace)
    keys = box("v1")
    unsealed = new_webhook(workspace)
    webhook = replace(unsealed, sealed_secret=keys.seal("whsec_x", context=secret_context(workspace.id, unsealed.id)))
    paused = new_webhook(workspace, active=False)
    await store_webhooks(backend, webhook, paused)
    delivery, untried = new_delivery(webhook), new_delivery(paused)
    await store_deliveries(backend, delivery, untried)
    exploded = AttemptOutcome(status_code=500, latency_ms=40, response_excerpt="boom " * 300, error="answered 500")
    timed_out = AttemptOutcome(status_code=None, latency_ms=10_000, error="no complete answer within 10 s")
    sender = ScriptedSender(exploded, exploded, timed_out, AttemptOutcome(status_code=200, latency_ms=7))
    policy = WebhookPolicy(first_retry_seconds=0.0, lease_seconds=0.0)  # retries and lost leases are due at once
    clock = SystemClock()
    deliver = DeliverDueWebhooks(
        backend.uow(), backend.webhooks, sender, keys, policy, clock, Uuid7Generator(), SystemJitter()
    )

    before = clock.now()
    claimed = await deliver.claim(10)
    assert {c.delivery.id for c in claimed} == {delivery.id, untried.id}
    lost = [a for a in [await deliver.attempt(c) for c in claimed] if a is not None]
    again = await deliver.claim(10)  # the leases ran out: claimed again before the first results were recorded
    assert (await deliver.record(lost)).failures == [], "results under a lost lease are dropped"
    await deliver.record([a for a in [await deliver.attempt(c) for c in again] if a is not None])
    await deliver(10)
    await deliver(10)

    stored = await backend.webhooks.delivery_detail(workspace.id, webhook.id, delivery.id)
    assert stored is not None
    assert (stored.delivery.status, stored.delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert sender.attempt_headers == ["1", "1", "2", "3"], "the lost attempt was made again"
    assert [(a.number, a.outcome) for a in stored.attempts] == [
        (1, exploded.kept()),
        (2, timed_out),
        (3, AttemptOutcome(status_code=200, latency_ms=7)),
    ]
    assert len(stored.attempts[0].outcome.response_excerpt) == 1024
    started = [a.started_at for a in stored.attempts]
    assert before <= started[0] < started[1] < started[2] <= (stored.delivery.last_attempt_at or before)
    assert {a.delivery_id for a in stored.attempts} == {delivery.id}
    gave_up = await backend.webhooks.delivery_detail(workspace.id, paused.id, untried.id)
    assert gave_up is not None
    assert (gave_up.delivery.status, gave_up.attempts) == (DeliveryStatus.DEAD_LETTERED, ())
