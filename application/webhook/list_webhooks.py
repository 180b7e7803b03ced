from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from domain.webhooks.webhook import WebhookSubscription
from ports.webhooks import WebhookReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListWebhooksQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListWebhooks:
    """The workspace's webhooks, oldest first. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, webhooks: WebhookReader) -> None:
        self._workspaces, self._webhooks = workspaces, webhooks

    async def __call__(self, query: ListWebhooksQuery) -> Page[WebhookSubscription]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.WEBHOOKS_MANAGE)
        return await self._webhooks.list(query.workspace_id, query.page)
