from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from application.access import authorize_in
from application.webhook.get_webhook import locked_webhook_or_404
from domain.kernel.permissions import Action
from domain.webhooks.webhook import WEBHOOK_UPDATED, WebhookPolicy, WebhookSubscription, check_events, check_url
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

PAUSED = "the webhook was deactivated"


@dataclass(slots=True, kw_only=True, frozen=True)
class UpdateWebhookCommand:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID
    url: str | None = None
    events: list[str] | None = None
    active: bool | None = None


class UpdateWebhook:
    """Change a webhook's URL, events or active flag.

    Rules: admin or owner; the same checks as creating one; activating a webhook (also one the system disabled)
    clears its failure streak; deactivating dead-letters its pending deliveries (replayable once it is active
    again); audited with the names of the fields that changed.
    """

    def __init__(self, uow: UnitOfWork, policy: WebhookPolicy, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._policy, self._clock, self._ids = uow, policy, clock, ids

    async def __call__(self, cmd: UpdateWebhookCommand) -> WebhookSubscription:
        url = check_url(cmd.url, self._policy) if cmd.url is not None else None
        events = check_events(cmd.events) if cmd.events is not None else None
        now = self._clock.now()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
            current = await locked_webhook_or_404(uow, cmd.workspace_id, cmd.webhook_id)
            changed = replace(
                current,
                url=current.url if url is None else url,
                events=current.events if events is None else events,
                active=current.active if cmd.active is None else cmd.active,
            )
            if changed.active and not current.active:
                changed = replace(changed, failure_streak=0, disabled_reason=None)
            fields = [name for name in ("url", "events", "active") if getattr(changed, name) != getattr(current, name)]
            if not fields:
                return current
            changed = replace(changed, updated_at=now)
            await uow.webhooks.save(changed)
            if current.active and not changed.active:
                await uow.deliveries.dead_letter_pending(changed.id, PAUSED, now)
            await uow.audit.add(
                changed.audit_entry(
                    entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=WEBHOOK_UPDATED, at=now, fields=fields
                )
            )
            await uow.commit()
        return changed
