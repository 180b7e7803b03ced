from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from domain.webhooks.webhook import WebhookSubscription
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetWebhookQuery:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID


class GetWebhook:
    """One webhook (never its secret). Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, webhooks: WebhookReader) -> None:
        self._workspaces, self._webhooks = workspaces, webhooks

    async def __call__(self, query: GetWebhookQuery) -> WebhookSubscription:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.WEBHOOKS_MANAGE)
        return await webhook_or_404(self._webhooks, query.workspace_id, query.webhook_id)


async def webhook_or_404(webhooks: WebhookReader, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription:
    found = await webhooks.get(workspace_id, webhook_id)
    if found is None:
        raise NotFound("webhook not found")
    return found


async def locked_webhook_or_404(uow: UnitOfWork, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription:
    """For commands: the webhook, locked until the unit of work ends."""
    found = await uow.webhooks.get_for_update(workspace_id, webhook_id)
    if found is None:
        raise NotFound("webhook not found")
    return found
