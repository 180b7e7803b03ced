"""Webhook subscriptions and deliveries: written inside a unit of work, read without one; and the sender."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.kernel.pagination import Page, PageRequest
from domain.webhooks.webhook import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryStatus, WebhookSubscription


class WebhookRepository(Protocol):
    @abstractmethod
    async def add(self, subscription: WebhookSubscription) -> None: ...

    @abstractmethod
    async def count(self, workspace_id: UUID) -> int: ...

    @abstractmethod
    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None:
        """Read and lock the subscription until the transaction ends."""

    @abstractmethod
    async def lock_many(self, webhook_ids: list[UUID]) -> list[WebhookSubscription]:
        """Read and lock these subscriptions (in id order, so two transactions never wait on each other in a
        circle); ids that do not exist are left out. Always lock a subscription before its deliveries."""

    @abstractmethod
    async def save(self, subscription: WebhookSubscription) -> None:
        """Persist url, events, secrets, active, failure_streak, disabled_reason and updated_at."""

    @abstractmethod
    async def delete(self, workspace_id: UUID, webhook_id: UUID) -> bool:
        """Remove it with its deliveries; False if there was no such subscription."""

    @abstractmethod
    async def subscribers(self, workspace_ids: list[UUID]) -> list[WebhookSubscription]:
        """The active subscriptions of these workspaces."""

    @abstractmethod
    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[WebhookSubscription]:
        """Up to `limit` subscriptions whose current or previous secret is sealed under any other key, ids above
        `after`, in id order, held."""


class DeliveryRepository(Protocol):
    @abstractmethod
    async def add_many(self, deliveries: list[Delivery]) -> None:
        """`Conflict` for an id already used, a webhook that does not exist, or a second delivery of one event
        to one webhook."""

    @abstractmethod
    async def claim_due(self, now: datetime, *, lease_id: UUID, lease_until: datetime, limit: int) -> list[Delivery]:
        """Take up to `limit` pending deliveries due at `now`, the longest due first, skipping any another
        transaction holds: each gets `lease_id` and is due again at `lease_until` (should its attempt never be
        recorded). Answers them as claimed."""

    @abstractmethod
    async def finish_attempts(self, deliveries: list[Delivery], lease_id: UUID) -> set[UUID]:
        """Save these attempted deliveries (every mutable field, as `save`) where the stored row still holds
        `lease_id`; the ids saved. A result whose lease was lost is dropped."""

    @abstractmethod
    async def add_attempts(self, attempts: list[DeliveryAttempt]) -> None:
        """Append each to its delivery's attempt log, in the order given; `Conflict` for a delivery that does not
        exist. Call it in the transaction that records the attempts on their deliveries (which holds them)."""

    @abstractmethod
    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> Delivery | None: ...

    @abstractmethod
    async def save(self, delivery: Delivery) -> None:
        """Persist every mutable field, whatever the lease."""

    @abstractmethod
    async def dead_letter_pending(self, webhook_id: UUID, reason: str, at: datetime) -> int:
        """Dead-letter the subscription's pending deliveries (last_error = reason, no lease); how many."""


class WebhookRepositories(Protocol):
    """What a unit of work carries for webhooks."""

    webhooks: WebhookRepository
    deliveries: DeliveryRepository


@dataclass(slots=True, kw_only=True, frozen=True)
class DeliveryDetail:
    delivery: Delivery
    attempts: tuple[DeliveryAttempt, ...]  # every attempt, replays' too, oldest first


class WebhookReader(Protocol):
    @abstractmethod
    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[WebhookSubscription]:
        """Oldest first."""

    @abstractmethod
    async def get(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None: ...

    @abstractmethod
    async def deliveries(
        self, workspace_id: UUID, webhook_id: UUID, page: PageRequest, status: DeliveryStatus | None = None
    ) -> Page[Delivery]:
        """Newest first, optionally of one status."""

    @abstractmethod
    async def delivery_detail(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> DeliveryDetail | None:
        """The delivery with its attempt log, both as of one moment."""

    @abstractmethod
    async def count_not_under_key(self, key_version: str) -> int:
        """How many subscriptions, in every workspace, have a current or previous secret under another key."""


class WebhookSender(Protocol):
    @abstractmethod
    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptOutcome:
        """POST the body under the SSRF guard, redirects not followed, within the deployment's timeout. Never
        raises for the receiver's fault: refusals, network errors and timeouts are outcomes without a status."""
