from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.webhook.get_webhook import webhook_or_404
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from domain.webhooks.webhook import Delivery, DeliveryStatus
from ports.webhooks import WebhookReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListDeliveriesQuery:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID
    page: PageRequest
    status: DeliveryStatus | None = None  # dead_lettered: the dead-letter queue


class ListDeliveries:
    """A webhook's delivery log, newest first, optionally of one status. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, webhooks: WebhookReader) -> None:
        self._workspaces, self._webhooks = workspaces, webhooks

    async def __call__(self, query: ListDeliveriesQuery) -> Page[Delivery]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.WEBHOOKS_MANAGE)
        await webhook_or_404(self._webhooks, query.workspace_id, query.webhook_id)
        return await self._webhooks.deliveries(query.workspace_id, query.webhook_id, query.page, query.status)
