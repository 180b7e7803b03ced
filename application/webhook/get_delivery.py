from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.errors import NotFound
from domain.permissions import Action
from domain.webhooks import Delivery
from ports.readers import WorkspaceReader
from ports.webhooks import WebhookReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetDeliveryQuery:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID
    delivery_id: UUID


class GetDelivery:
    """One delivery with its body and last attempt. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, webhooks: WebhookReader) -> None:
        self._workspaces, self._webhooks = workspaces, webhooks

    async def __call__(self, query: GetDeliveryQuery) -> Delivery:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.WEBHOOKS_MANAGE)
        found = await self._webhooks.delivery(query.workspace_id, query.webhook_id, query.delivery_id)
        if found is None:
            raise NotFound("delivery not found")
        return found
