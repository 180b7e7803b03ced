from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from domain.webhooks.webhook import WEBHOOK_DELETED
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class DeleteWebhookCommand:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID


class DeleteWebhook:
    """Remove a webhook with its delivery log; nothing more is sent to it. Rules: admin or owner; audited."""

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, cmd: DeleteWebhookCommand) -> None:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
            current = await uow.webhooks.get_for_update(cmd.workspace_id, cmd.webhook_id)
            if current is None or not await uow.webhooks.delete(cmd.workspace_id, cmd.webhook_id):
                raise NotFound("webhook not found")
            now = self._clock.now()
            await uow.audit.add(
                current.audit_entry(entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=WEBHOOK_DELETED, at=now)
            )
            await uow.commit()
