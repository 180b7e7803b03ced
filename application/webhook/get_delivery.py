from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.webhooks import DeliveryDetail, WebhookReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetDeliveryQuery:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID
    delivery_id: UUID


class GetDelivery:
    """One delivery with its body, its last attempt and its attempt log. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, webhooks: WebhookReader) -> None:
        self._workspaces, self._webhooks = workspaces, webhooks

    async def __call__(self, query: GetDeliveryQuery) -> DeliveryDetail:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.WEBHOOKS_MANAGE)
        found = await self._webhooks.delivery_detail(query.workspace_id, query.webhook_id, query.delivery_id)
        if found is None:
            raise NotFound("delivery not found")
        return found
