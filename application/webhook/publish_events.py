from __future__ import annotations

from collections import defaultdict

from domain.webhooks.webhook import WebhookSubscription, delivery_for
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


class PublishEvents:
    """Turn outbox events into deliveries, once each.

    Rules: the oldest unpublished events first, at most `limit`; one pending delivery, due now, per active
    subscription of the event's workspace that wants its type and existed when the event happened (an event
    still in the outbox is not sent to a subscription made after it); the deliveries and the events' published mark
    commit together, so a crash repeats the whole step or none of it; publishers side by side take different
    events. Answers how many events it published (0: the outbox is empty).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, limit: int = 500) -> int:
        async with self._uow as uow:
            events = await uow.events.claim_unpublished(limit)
            if not events:
                return 0
            now = self._clock.now()
            by_workspace: dict[object, list[WebhookSubscription]] = defaultdict(list)
            for subscription in await uow.webhooks.subscribers(list({e.workspace_id for e in events})):
                by_workspace[subscription.workspace_id].append(subscription)
            deliveries = [
                delivery_for(event, subscription, delivery_id=self._ids.new_id(), now=now)
                for event in events
                for subscription in by_workspace[event.workspace_id]
                if subscription.wants(event.type.value) and subscription.created_at <= event.occurred_at
            ]
            await uow.deliveries.add_many(deliveries)
            await uow.events.mark_published([e.id for e in events], now)
            await uow.commit()
        return len(events)
