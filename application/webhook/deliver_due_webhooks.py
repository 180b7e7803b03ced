from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.webhook.signing import post_signed
from domain.webhooks.webhook import (
    WEBHOOK_DISABLED,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookPolicy,
    WebhookSubscription,
)
from ports.metrics import NO_METRICS, Metrics
from ports.secret_box import SecretBox
from ports.system import Clock, IdGenerator, Jitter
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader, WebhookSender

INACTIVE = "the webhook is inactive"
OUTCOME = {DeliveryStatus.SUCCEEDED: "succeeded", DeliveryStatus.DEAD_LETTERED: "dead_lettered"}


@dataclass(slots=True, kw_only=True, frozen=True)
class Claimed:
    """A delivery taken under a lease, with its webhook as it was read (None: deleted since)."""

    delivery: Delivery
    lease_id: UUID
    webhook: WebhookSubscription | None


@dataclass(slots=True, kw_only=True, frozen=True)
class Attempted:
    delivery: Delivery  # after the attempt, or dead-lettered without one
    lease_id: UUID
    attempt: DeliveryAttempt | None  # its attempt log's entry; None when dead-lettered without an attempt


@dataclass(slots=True, kw_only=True, frozen=True)
class DeliveryRound:
    claimed: int
    succeeded: int
    failures: list[Delivery]  # after an attempt that failed: pending again, or dead-lettered
    disabled: list[UUID]  # webhooks this round disabled


class DeliverDueWebhooks:
    """Attempt due deliveries: `claim`, then `attempt` each, then `record` the results (the dispatcher runs the
    three as a pipeline; calling the use case runs them once for up to `limit` deliveries).

    Rules: due deliveries are claimed under a lease first (committed), so a worker that dies mid-attempt only
    delays them until the lease ends, and another worker's claim never takes them meanwhile; each is POSTed with
    fresh signed headers; results are recorded in one transaction, the webhooks locked before their deliveries,
    and each only under the lease it was claimed with, with its entry in the delivery's attempt log (a result
    whose lease was lost leaves none). A success clears the webhook's failure streak, a dead letter adds to it,
    and reaching `disable_after` disables the webhook, dead-letters its pending deliveries and writes an audit
    entry. A delivery whose webhook is inactive is dead-lettered without an attempt; one whose webhook is gone
    went with it.
    """

    def __init__(
        self, uow: UnitOfWork, webhooks: WebhookReader, sender: WebhookSender, box: SecretBox,
        policy: WebhookPolicy, clock: Clock, ids: IdGenerator, jitter: Jitter, metrics: Metrics = NO_METRICS,
    ) -> None:  # fmt: skip
        self._uow, self._webhooks, self._sender, self._box = uow, webhooks, sender, box
        self._policy, self._clock, self._ids, self._jitter = policy, clock, ids, jitter
        self._metrics = metrics

    async def __call__(self, limit: int) -> DeliveryRound:
        claimed = await self.claim(limit)
        results = await asyncio.gather(*(self.attempt(c) for c in claimed))
        return await self.record([r for r in results if r is not None], claimed=len(claimed))

    async def claim(self, limit: int) -> list[Claimed]:
        lease_id = self._ids.new_id()
        now = self._clock.now()
        async with self._uow as uow:
            due = await uow.deliveries.claim_due(
                now, lease_id=lease_id, lease_until=now + timedelta(seconds=self._policy.lease_seconds), limit=limit
            )
            await uow.commit()
        if not due:
            return []
        wanted = {(d.workspace_id, d.subscription_id) for d in due}
        found = await asyncio.gather(*(self._webhooks.get(ws, webhook_id) for ws, webhook_id in wanted))
        webhooks = {w.id: w for w in found if w is not None}
        return [Claimed(delivery=d, lease_id=lease_id, webhook=webhooks.get(d.subscription_id)) for d in due]

    async def attempt(self, claimed: Claimed) -> Attempted | None:
        """The delivery after its attempt; None if its webhook is gone (its deliveries went with it)."""
        delivery, webhook = claimed.delivery, claimed.webhook
        if webhook is None:
            return None
        if not webhook.active:
            return Attempted(delivery=delivery.dead_lettered(INACTIVE, self._clock.now()), lease_id=claimed.lease_id,
                             attempt=None)  # fmt: skip
        started = self._clock.now()
        outcome = await post_signed(self._sender, self._box, webhook, delivery, started)
        after = delivery.attempted(outcome, policy=self._policy, now=self._clock.now(), jitter=self._jitter.fraction())
        return Attempted(delivery=after, lease_id=claimed.lease_id, attempt=delivery.attempt_entry(outcome, started))

    async def record(self, results: list[Attempted], *, claimed: int | None = None) -> DeliveryRound:
        if not results:
            return DeliveryRound(claimed=claimed or 0, succeeded=0, failures=[], disabled=[])
        now = self._clock.now()
        succeeded = 0
        failures: list[Delivery] = []
        disabled: list[UUID] = []
        given_up = 0  # pending deliveries of the webhooks this round disabled
        by_lease: dict[UUID, list[Delivery]] = defaultdict(list)
        for result in results:
            by_lease[result.lease_id].append(result.delivery)
        async with self._uow as uow:
            webhooks = {w.id: w for w in await uow.webhooks.lock_many([r.delivery.subscription_id for r in results])}
            saved_under = {lease: await uow.deliveries.finish_attempts(ds, lease) for lease, ds in by_lease.items()}
            saved: set[UUID] = set().union(*saved_under.values())
            await uow.deliveries.add_attempts(
                [r.attempt for r in results if r.attempt is not None and r.delivery.id in saved_under[r.lease_id]]
            )
            changed: set[UUID] = set()
            for result in results:
                delivery = result.delivery
                webhook = webhooks.get(delivery.subscription_id)
                if delivery.id not in saved or webhook is None or result.attempt is None:
                    continue
                if delivery.status is DeliveryStatus.SUCCEEDED:
                    succeeded += 1
                    if webhook.failure_streak:
                        webhooks[webhook.id] = webhook.after_success(now)
                        changed.add(webhook.id)
                    continue
                failures.append(delivery)
                if delivery.status is DeliveryStatus.DEAD_LETTERED:
                    webhooks[webhook.id] = after = webhook.after_dead_letter(self._policy, now)
                    changed.add(webhook.id)
                    if webhook.active and not after.active:
                        disabled.append(webhook.id)
            for webhook_id in sorted(changed):
                await uow.webhooks.save(webhooks[webhook_id])
            for webhook_id in disabled:
                webhook = webhooks[webhook_id]
                reason = f"{INACTIVE}: {webhook.disabled_reason}"
                given_up += await uow.deliveries.dead_letter_pending(webhook_id, reason, now)
                await uow.audit.add(
                    webhook.audit_entry(
                        entry_id=self._ids.new_id(),
                        actor_id=None,
                        action=WEBHOOK_DISABLED,
                        at=now,
                        reason=webhook.disabled_reason or "",
                    )
                )
            await uow.commit()
        self._count([r for r in results if r.delivery.id in saved], given_up)
        return DeliveryRound(
            claimed=len(results) if claimed is None else claimed,
            succeeded=succeeded,
            failures=failures,
            disabled=disabled,
        )

    def _count(self, saved: list[Attempted], given_up: int) -> None:
        """Tell metrics what was recorded (after the commit): each attempt, and each delivery dead-lettered
        without one (its webhook inactive, or disabled now)."""
        for result in saved:
            delivery = result.delivery
            outcome = OUTCOME.get(delivery.status, "failed")  # failed: pending again, for a retry
            self._metrics.webhook_delivery(outcome, result.attempt.outcome.latency_ms if result.attempt else None)
        for _ in range(given_up):
            self._metrics.webhook_delivery("dead_lettered", None)
