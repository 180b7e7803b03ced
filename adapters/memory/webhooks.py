from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from adapters.memory.store import MemoryStore, Repositories, Tables, conflict
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.webhooks.webhook import Delivery, DeliveryAttempt, DeliveryStatus, WebhookSubscription
from ports.webhooks import DeliveryDetail


class MemoryWebhookRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, subscription: WebhookSubscription) -> None:
        if subscription.id in self._t.webhooks:
            raise conflict(self._t, "webhook already exists")
        self._t.webhooks[subscription.id] = subscription

    async def count(self, workspace_id: UUID) -> int:
        return sum(1 for w in self._t.webhooks.values() if w.workspace_id == workspace_id)

    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None:
        found = self._t.webhooks.get(webhook_id)
        return found if found and found.workspace_id == workspace_id else None

    async def lock_many(self, webhook_ids: list[UUID]) -> list[WebhookSubscription]:
        return [self._t.webhooks[i] for i in sorted(set(webhook_ids)) if i in self._t.webhooks]

    async def save(self, subscription: WebhookSubscription) -> None:
        stored = self._t.webhooks.get(subscription.id)
        if stored and stored.workspace_id == subscription.workspace_id:
            self._t.webhooks[subscription.id] = replace(
                stored,
                url=subscription.url,
                events=subscription.events,
                sealed_secret=subscription.sealed_secret,
                previous_secret=subscription.previous_secret,
                previous_secret_expires_at=subscription.previous_secret_expires_at,
                active=subscription.active,
                failure_streak=subscription.failure_streak,
                disabled_reason=subscription.disabled_reason,
                updated_at=subscription.updated_at,
            )

    async def delete(self, workspace_id: UUID, webhook_id: UUID) -> bool:
        found = self._t.webhooks.get(webhook_id)
        if found is None or found.workspace_id != workspace_id:
            return False
        del self._t.webhooks[webhook_id]
        for delivery_id in [k for k, d in self._t.deliveries.items() if d.subscription_id == webhook_id]:
            del self._t.deliveries[delivery_id]
            self._t.delivery_attempts.pop(delivery_id, None)
        return True

    async def subscribers(self, workspace_ids: list[UUID]) -> list[WebhookSubscription]:
        wanted = set(workspace_ids)
        return sorted(
            (w for w in self._t.webhooks.values() if w.active and w.workspace_id in wanted), key=lambda w: w.id
        )

    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[WebhookSubscription]:
        stale = sorted(
            (w for w in self._t.webhooks.values() if _not_under_key(w, key_version)),
            key=lambda w: w.id,
        )
        if after is not None:
            stale = [w for w in stale if w.id > after]
        return stale[:limit]


class MemoryDeliveryRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add_many(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.id in self._t.deliveries or delivery.subscription_id not in self._t.webhooks:
                raise conflict(self._t, "delivery already exists or names no webhook")
            if delivery.event_id is not None and any(
                d.event_id == delivery.event_id and d.subscription_id == delivery.subscription_id
                for d in self._t.deliveries.values()
            ):
                raise conflict(self._t, "the event already has a delivery to this webhook")
            self._t.deliveries[delivery.id] = delivery

    async def claim_due(self, now: datetime, *, lease_id: UUID, lease_until: datetime, limit: int) -> list[Delivery]:
        due = sorted(
            (
                d
                for d in self._t.deliveries.values()
                if d.status is DeliveryStatus.PENDING and d.next_attempt_at is not None and d.next_attempt_at <= now
            ),
            key=lambda d: (d.next_attempt_at, d.id),
        )[: max(limit, 0)]
        claimed = [d.claimed(lease_id, lease_until) for d in due]
        for delivery in claimed:
            self._t.deliveries[delivery.id] = delivery
        return claimed

    async def finish_attempts(self, deliveries: list[Delivery], lease_id: UUID) -> set[UUID]:
        saved: set[UUID] = set()
        for delivery in deliveries:
            stored = self._t.deliveries.get(delivery.id)
            if stored is not None and stored.lease_id == lease_id:
                self._t.deliveries[delivery.id] = _mutable_of(stored, delivery)
                saved.add(delivery.id)
        return saved

    async def add_attempts(self, attempts: list[DeliveryAttempt]) -> None:
        for attempt in attempts:
            if attempt.delivery_id not in self._t.deliveries:
                raise conflict(self._t, "the attempt names no delivery")
            logged = self._t.delivery_attempts.get(attempt.delivery_id, ())
            self._t.delivery_attempts[attempt.delivery_id] = (*logged, attempt)

    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> Delivery | None:
        found = self._t.deliveries.get(delivery_id)
        return found if _belongs(found, workspace_id, webhook_id) else None

    async def save(self, delivery: Delivery) -> None:
        stored = self._t.deliveries.get(delivery.id)
        if stored is not None:
            self._t.deliveries[delivery.id] = _mutable_of(stored, delivery)

    async def dead_letter_pending(self, webhook_id: UUID, reason: str, at: datetime) -> int:
        pending = [
            d
            for d in self._t.deliveries.values()
            if d.subscription_id == webhook_id and d.status is DeliveryStatus.PENDING
        ]
        for delivery in pending:
            self._t.deliveries[delivery.id] = delivery.dead_lettered(reason, at)
        return len(pending)


def _mutable_of(stored: Delivery, new: Delivery) -> Delivery:
    """The stored delivery with the fields a save may change."""
    return replace(
        stored,
        status=new.status,
        attempts=new.attempts,
        next_attempt_at=new.next_attempt_at,
        lease_id=new.lease_id,
        last_attempt_at=new.last_attempt_at,
        last_status_code=new.last_status_code,
        last_latency_ms=new.last_latency_ms,
        last_response_excerpt=new.last_response_excerpt,
        last_error=new.last_error,
        replayed_at=new.replayed_at,
        finished_at=new.finished_at,
    )


def _belongs(delivery: Delivery | None, workspace_id: UUID, webhook_id: UUID) -> bool:
    return delivery is not None and delivery.workspace_id == workspace_id and delivery.subscription_id == webhook_id


def _not_under_key(webhook: WebhookSubscription, key_version: str) -> bool:
    """Its current secret, or its previous one if it has one, is sealed under another key."""
    previous = webhook.previous_secret
    return webhook.sealed_secret.key_version != key_version or (
        previous is not None and previous.key_version != key_version
    )


class MemoryWebhookReader:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[WebhookSubscription]:
        mine = sorted(
            (w for w in self._store.tables.webhooks.values() if w.workspace_id == workspace_id),
            key=lambda w: (w.created_at, w.id),
        )
        if page.after:
            after = (page.after.created_at, page.after.id)
            mine = [w for w in mine if (w.created_at, w.id) > after]
        return page_of(mine[: page.limit + 1], page.limit, lambda w: Cursor(created_at=w.created_at, id=w.id))

    async def get(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None:
        found = self._store.tables.webhooks.get(webhook_id)
        return found if found and found.workspace_id == workspace_id else None

    async def deliveries(
        self, workspace_id: UUID, webhook_id: UUID, page: PageRequest, status: DeliveryStatus | None = None
    ) -> Page[Delivery]:
        found = sorted(
            (
                d
                for d in self._store.tables.deliveries.values()
                if _belongs(d, workspace_id, webhook_id) and (status is None or d.status is status)
            ),
            key=lambda d: (d.created_at, d.id),
            reverse=True,
        )
        if page.after:
            before = (page.after.created_at, page.after.id)
            found = [d for d in found if (d.created_at, d.id) < before]
        return page_of(found[: page.limit + 1], page.limit, lambda d: Cursor(created_at=d.created_at, id=d.id))

    async def delivery_detail(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> DeliveryDetail | None:
        tables = self._store.tables  # the committed tables, swapped whole: one moment
        found = tables.deliveries.get(delivery_id)
        if found is None or not _belongs(found, workspace_id, webhook_id):
            return None
        return DeliveryDetail(delivery=found, attempts=tables.delivery_attempts.get(delivery_id, ()))

    async def count_not_under_key(self, key_version: str) -> int:
        return sum(1 for w in self._store.tables.webhooks.values() if _not_under_key(w, key_version))


# This context's repositories in a unit of work (`WebhookRepositories` in ports/webhooks.py).
REPOSITORIES: Repositories = {
    "webhooks": MemoryWebhookRepository,
    "deliveries": MemoryDeliveryRepository,
}
