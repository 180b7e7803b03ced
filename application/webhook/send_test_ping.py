from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from application.webhook.get_webhook import webhook_or_404
from application.webhook.signing import post_signed
from domain.kernel.permissions import Action
from domain.webhooks.webhook import PING, Delivery, WebhookPolicy, ping_body
from ports.secret_box import SecretBox
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader, WebhookSender
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class SendTestPingCommand:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID


class SendTestPing:
    """POST a signed `ping` to the webhook now and answer how it went.

    Rules: admin or owner; active or not; one attempt, not retried; kept in the delivery log as `succeeded` or
    `failed`, with its attempt; it does not count towards disabling the webhook.
    """

    def __init__(
        self, workspaces: WorkspaceReader, webhooks: WebhookReader, uow: UnitOfWork, sender: WebhookSender,
        box: SecretBox, policy: WebhookPolicy, clock: Clock, ids: IdGenerator,
    ) -> None:  # fmt: skip
        self._workspaces, self._webhooks, self._uow, self._sender = workspaces, webhooks, uow, sender
        self._box, self._policy, self._clock, self._ids = box, policy, clock, ids

    async def __call__(self, cmd: SendTestPingCommand) -> Delivery:
        await authorize(self._workspaces, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
        webhook = await webhook_or_404(self._webhooks, cmd.workspace_id, cmd.webhook_id)
        now = self._clock.now()
        ping_id = self._ids.new_id()
        ping = Delivery(
            id=ping_id,
            workspace_id=webhook.workspace_id,
            subscription_id=webhook.id,
            event_id=None,
            event_type=PING,
            body=ping_body(ping_id, webhook, now),
            created_at=now,
        )
        outcome = await post_signed(self._sender, self._box, webhook, ping, now)
        done = ping.attempted(outcome, policy=self._policy, now=self._clock.now(), jitter=0.0)
        async with self._uow as uow:
            if await uow.webhooks.get_for_update(cmd.workspace_id, cmd.webhook_id) is not None:  # not deleted since
                await uow.deliveries.add_many([done])
                await uow.deliveries.add_attempts([ping.attempt_entry(outcome, now)])
                await uow.commit()
        return done
