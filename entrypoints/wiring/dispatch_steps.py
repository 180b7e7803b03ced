"""The webhook dispatcher's steps, each in a request scope of its own (a unit of work per step)."""

from __future__ import annotations

from dishka import AsyncContainer

from application.webhook.deliver_due_webhooks import Attempted, Claimed, DeliverDueWebhooks, DeliveryRound
from application.webhook.publish_events import PublishEvents


class ScopedDispatchSteps:
    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def publish(self, limit: int) -> int:
        async with self._container() as scope:
            return await (await scope.get(PublishEvents))(limit)

    async def claim(self, limit: int) -> list[Claimed]:
        async with self._container() as scope:
            return await (await scope.get(DeliverDueWebhooks)).claim(limit)

    async def attempt(self, claimed: Claimed) -> Attempted | None:
        async with self._container() as scope:
            return await (await scope.get(DeliverDueWebhooks)).attempt(claimed)

    async def record(self, results: list[Attempted]) -> DeliveryRound:
        async with self._container() as scope:
            return await (await scope.get(DeliverDueWebhooks)).record(results)
