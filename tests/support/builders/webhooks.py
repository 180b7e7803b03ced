"""Webhook subscriptions and deliveries with realistic values, and ways to store them, for contract tests."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from domain.credentials.credential import SealedSecret
from domain.kernel.events import Event, EventType
from domain.webhooks.webhook import PING, Delivery, DeliveryAttempt, WebhookSubscription, delivery_for, ping_body
from domain.workspaces.workspace import Workspace
from tests.conftest import Backend
from tests.support.builders.accounts import utc_now


def sealed_secret(key_version: str = "v1") -> SealedSecret:
    """What AES-256-GCM makes of a `whsec_` secret: 38 characters and a 16-byte tag, under a 12-byte nonce."""
    return SealedSecret(ciphertext=secrets.token_bytes(54), nonce=secrets.token_bytes(12), key_version=key_version)


def new_webhook(
    workspace: Workspace,
    *,
    created_at: datetime | None = None,
    active: bool = True,
    events: tuple[str, ...] = (EventType.JOB_COMPLETED.value, EventType.RECORD_ENRICHED.value),
) -> WebhookSubscription:
    at = created_at or utc_now()
    return WebhookSubscription(
        id=uuid4(),
        workspace_id=workspace.id,
        url=f"https://hooks.example.com/cascade/{uuid4().hex[:12]}",
        events=events,
        sealed_secret=sealed_secret(),
        active=active,
        disabled_reason=None if active else "paused by its owner",
        created_by=workspace.created_by,
        created_at=at,
        updated_at=at,
    )


def new_delivery(
    subscription: WebhookSubscription,
    *,
    created_at: datetime | None = None,
    due_at: datetime | None = None,
    event_type: EventType = EventType.RECORD_ENRICHED,
) -> Delivery:
    """A pending delivery of a fresh event, due when it was made unless `due_at` says otherwise."""
    at = created_at or utc_now()
    event = Event(
        id=uuid4(),
        workspace_id=subscription.workspace_id,
        type=event_type,
        data={"recordId": str(uuid4()), "fields": ["title", "companyDomain"], "note": "Zürich ✓"},
        occurred_at=at,
    )
    made = delivery_for(event, subscription, delivery_id=uuid4(), now=at)
    return made if due_at is None else replace(made, next_attempt_at=due_at)


def new_ping(subscription: WebhookSubscription, *, at: datetime | None = None) -> Delivery:
    now = at or utc_now()
    ping_id = uuid4()
    return Delivery(
        id=ping_id,
        workspace_id=subscription.workspace_id,
        subscription_id=subscription.id,
        event_id=None,
        event_type=PING,
        body=ping_body(ping_id, subscription, now),
        next_attempt_at=now,
        created_at=now,
    )


async def store_webhooks(backend: Backend, *subscriptions: WebhookSubscription) -> None:
    async with backend.uow() as uow:
        for subscription in subscriptions:
            await uow.webhooks.add(subscription)
        await uow.commit()


async def store_deliveries(backend: Backend, *deliveries: Delivery) -> None:
    async with backend.uow() as uow:
        await uow.deliveries.add_many(list(deliveries))
        await uow.commit()


async def store_attempts(backend: Backend, *attempts: DeliveryAttempt) -> None:
    async with backend.uow() as uow:
        await uow.deliveries.add_attempts(list(attempts))
        await uow.commit()


async def stored(backend: Backend, delivery: Delivery) -> Delivery | None:
    """The delivery as its subscription's log shows it now."""
    found = await backend.webhooks.delivery_detail(delivery.workspace_id, delivery.subscription_id, delivery.id)
    return found.delivery if found else None


async def stored_attempts(backend: Backend, delivery: Delivery) -> tuple[DeliveryAttempt, ...] | None:
    """The delivery's attempt log as its detail shows it now; None when there is no such delivery."""
    found = await backend.webhooks.delivery_detail(delivery.workspace_id, delivery.subscription_id, delivery.id)
    return found.attempts if found else None
