from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import authorize_in
from domain.kernel.errors import Conflict, NotFound
from domain.kernel.permissions import Action
from domain.webhooks.webhook import (
    MAX_SUBSCRIPTIONS,
    SECRET_PREFIX,
    WEBHOOK_CREATED,
    WebhookPolicy,
    WebhookSubscription,
    check_events,
    check_url,
    secret_context,
)
from ports.secret_box import SecretBox
from ports.security import SecretTokens
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class CreateWebhookCommand:
    actor_id: UUID
    workspace_id: UUID
    url: str
    events: list[str]
    active: bool = True


@dataclass(slots=True, kw_only=True, frozen=True)
class WebhookWithSecret:
    """A subscription and its new secret: the only time the secret is shown."""

    subscription: WebhookSubscription
    secret: str = field(repr=False)


class CreateWebhook:
    """Subscribe a URL to some of the workspace's events.

    Rules: admin or owner; the URL passes `check_url` (https in production, no refused address); the events are
    known types, each once; at most `MAX_SUBSCRIPTIONS` per workspace; the secret is made here (`whsec_` and 256
    random bits), sealed bound to the workspace and subscription, and answered once; audited without it.
    """

    def __init__(
        self, uow: UnitOfWork, box: SecretBox, tokens: SecretTokens, policy: WebhookPolicy, clock: Clock,
        ids: IdGenerator,
    ) -> None:  # fmt: skip
        self._uow, self._box, self._tokens, self._policy = uow, box, tokens, policy
        self._clock, self._ids = clock, ids

    async def __call__(self, cmd: CreateWebhookCommand) -> WebhookWithSecret:
        url = check_url(cmd.url, self._policy)
        events = check_events(cmd.events)
        secret = SECRET_PREFIX + self._tokens.new().plaintext
        now = self._clock.now()
        webhook_id = self._ids.new_id()
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
            if await uow.workspaces.lock(cmd.workspace_id) is None:  # creations of a workspace in turn: the cap holds
                raise NotFound("workspace not found")
            if await uow.webhooks.count(cmd.workspace_id) >= MAX_SUBSCRIPTIONS:
                raise Conflict(f"a workspace has at most {MAX_SUBSCRIPTIONS} webhooks")
            subscription = WebhookSubscription(
                id=webhook_id,
                workspace_id=cmd.workspace_id,
                url=url,
                events=events,
                sealed_secret=self._box.seal(secret, context=secret_context(cmd.workspace_id, webhook_id)),
                active=cmd.active,
                created_by=cmd.actor_id,
                created_at=now,
                updated_at=now,
            )
            await uow.webhooks.add(subscription)
            await uow.audit.add(
                subscription.audit_entry(
                    entry_id=self._ids.new_id(),
                    actor_id=cmd.actor_id,
                    action=WEBHOOK_CREATED,
                    at=now,
                    events=list(events),
                )
            )
            await uow.commit()
        return WebhookWithSecret(subscription=subscription, secret=secret)
