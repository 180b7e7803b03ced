"""Webhook use cases on both backends, where the HTTP tests cannot reach: a secret no key opens."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from adapters.system.jitter import SystemJitter
from application.webhook.deliver_due_webhooks import DeliverDueWebhooks
from application.webhook.signing import UNREADABLE_SECRET
from domain.webhooks import AttemptOutcome, DeliveryStatus, WebhookPolicy
from tests.conftest import Backend
from tests.contract.builders import new_user, new_workspace, persist
from tests.contract.webhook_builders import new_delivery, new_webhook, store_deliveries, store_webhooks
from tests.integration.test_key_rotation import box


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
    stored = await backend.webhooks.delivery(workspace.id, webhook.id, delivery.id)
    assert stored is not None
    assert stored.attempts == 1
    assert stored.last_error == UNREADABLE_SECRET
