from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

from application.access import authorize_in
from application.webhook.create_webhook import WebhookWithSecret
from application.webhook.get_webhook import locked_webhook_or_404
from domain.kernel.permissions import Action
from domain.webhooks.webhook import SECRET_PREFIX, WEBHOOK_SECRET_ROTATED, WebhookPolicy, secret_context
from ports.secret_box import SecretBox
from ports.security import SecretTokens
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class RotateWebhookSecretCommand:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID


class RotateWebhookSecret:
    """Give a webhook a new secret, answered once.

    Rules: admin or owner; for `secret_grace_seconds` the old secret signs too (a second `v1`), so a receiver
    can switch without losing a delivery; rotating again within the grace drops the oldest secret; audited.
    """

    def __init__(
        self, uow: UnitOfWork, box: SecretBox, tokens: SecretTokens, policy: WebhookPolicy, clock: Clock,
        ids: IdGenerator,
    ) -> None:  # fmt: skip
        self._uow, self._box, self._tokens, self._policy = uow, box, tokens, policy
        self._clock, self._ids = clock, ids

    async def __call__(self, cmd: RotateWebhookSecretCommand) -> WebhookWithSecret:
        secret = SECRET_PREFIX + self._tokens.new().plaintext
        now = self._clock.now()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
            current = await locked_webhook_or_404(uow, cmd.workspace_id, cmd.webhook_id)
            rotated = replace(
                current,
                sealed_secret=self._box.seal(secret, context=secret_context(current.workspace_id, current.id)),
                previous_secret=current.sealed_secret,
                previous_secret_expires_at=now + timedelta(seconds=self._policy.secret_grace_seconds),
                updated_at=now,
            )
            await uow.webhooks.save(rotated)
            await uow.audit.add(
                rotated.audit_entry(
                    entry_id=self._ids.new_id(), actor_id=cmd.actor_id, action=WEBHOOK_SECRET_ROTATED, at=now
                )
            )
            await uow.commit()
        return WebhookWithSecret(subscription=rotated, secret=secret)
