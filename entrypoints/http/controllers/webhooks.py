"""Outgoing webhooks: subscriptions, their secrets, the delivery log (and dead letters), replays and test pings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter

from application.webhook.create_webhook import CreateWebhook, CreateWebhookCommand, WebhookWithSecret
from application.webhook.delete_webhook import DeleteWebhook, DeleteWebhookCommand
from application.webhook.get_delivery import GetDelivery, GetDeliveryQuery
from application.webhook.get_webhook import GetWebhook, GetWebhookQuery
from application.webhook.list_deliveries import ListDeliveries, ListDeliveriesQuery
from application.webhook.list_webhooks import ListWebhooks, ListWebhooksQuery
from application.webhook.replay_delivery import ReplayDelivery, ReplayDeliveryCommand
from application.webhook.rotate_webhook_secret import RotateWebhookSecret, RotateWebhookSecretCommand
from application.webhook.send_test_ping import SendTestPing, SendTestPingCommand
from application.webhook.update_webhook import UpdateWebhook, UpdateWebhookCommand
from domain.kernel.network_policy import MAX_URL_CHARS
from domain.kernel.pagination import PageRequest
from domain.webhooks.webhook import SUBSCRIBABLE, Delivery, DeliveryAttempt, DeliveryStatus, WebhookSubscription
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.controllers.workspaces import CursorParam, Limit
from entrypoints.http.envelope import Envelope, PageEnvelope, ok, ok_page
from entrypoints.http.injection import inject
from ports.webhooks import DeliveryDetail

MAX_EVENT_NAMES = 32  # more than the known types; repeats and unknown names are refused by the rules, with reasons
EVENTS_DOC = "event types, each once: " + ", ".join(sorted(SUBSCRIBABLE))

Url = Annotated[
    str,
    msgspec.Meta(max_length=MAX_URL_CHARS, description="http(s) URL the events are POSTed to (https in production)"),
]
EventNames = Annotated[
    list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=MAX_EVENT_NAMES, description=EVENTS_DOC)
]
DeliveryStatusName = Literal["pending", "succeeded", "failed", "dead_lettered"]
StatusFilter = Annotated[
    DeliveryStatusName | None,
    Parameter(description="only deliveries of this status (`dead_lettered`: the dead-letter queue)"),
]


class WebhookRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    url: Url
    events: EventNames
    active: bool = True


class WebhookPatch(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    url: Url | None = None
    events: EventNames | None = None
    active: bool | None = None


class WebhookOut(msgspec.Struct, rename="camel"):
    id: UUID
    url: str
    events: list[str]
    active: bool
    failure_streak: int
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(WebhookOut, rename="camel"):
    """A webhook with its signing secret: answered when it is made and when it is rotated, never again."""

    secret: str


def webhook_out(webhook: WebhookSubscription) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        events=list(webhook.events),
        active=webhook.active,
        failure_streak=webhook.failure_streak,
        disabled_reason=webhook.disabled_reason,
        previous_secret_expires_at=webhook.previous_secret_expires_at,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def webhook_secret_out(made: WebhookWithSecret) -> WebhookSecretOut:
    return WebhookSecretOut(**msgspec.structs.asdict(webhook_out(made.subscription)), secret=made.secret)


class DeliveryOut(msgspec.Struct, rename="camel"):
    id: UUID  # the X-Cascade-Delivery header: the same on every attempt and replay
    webhook_id: UUID
    event_id: UUID | None  # null for a ping
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_status: int | None
    latency_ms: int | None
    response_body: str  # the start of the receiver's last answer
    error: str | None
    created_at: datetime
    replayed_at: datetime | None
    finished_at: datetime | None


class AttemptOut(msgspec.Struct, rename="camel"):
    attempt: int  # the X-Cascade-Attempt it was sent with: from 1 again after a replay
    started_at: datetime
    response_status: int | None  # null when no answer came (refused, unreachable, timed out)
    latency_ms: int
    response_body: str  # the start of the receiver's answer
    error: str | None


class DeliveryDetailOut(DeliveryOut, rename="camel"):
    payload: str  # the exact body sent, as UTF-8 text
    attempt_log: list[AttemptOut]  # every attempt, replays' too, oldest first


def delivery_out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        webhook_id=delivery.subscription_id,
        event_id=delivery.event_id,
        event=delivery.event_type,
        status=delivery.status.value,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_attempt_at=delivery.last_attempt_at,
        response_status=delivery.last_status_code,
        latency_ms=delivery.last_latency_ms,
        response_body=delivery.last_response_excerpt,
        error=delivery.last_error,
        created_at=delivery.created_at,
        replayed_at=delivery.replayed_at,
        finished_at=delivery.finished_at,
    )


def attempt_out(attempt: DeliveryAttempt) -> AttemptOut:
    outcome = attempt.outcome
    return AttemptOut(
        attempt=attempt.number,
        started_at=attempt.started_at,
        response_status=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_body=outcome.response_excerpt,
        error=outcome.error,
    )


def delivery_detail_out(detail: DeliveryDetail) -> DeliveryDetailOut:
    return DeliveryDetailOut(
        **msgspec.structs.asdict(delivery_out(detail.delivery)),
        payload=detail.delivery.body.decode("utf-8", "replace"),
        attempt_log=[attempt_out(a) for a in detail.attempts],
    )


class WebhookController(Controller):
    path = "/workspaces/{workspace_id:uuid}/webhooks"
    tags = ["webhooks"]
    dependencies = AUTHENTICATED
    security = BEARER
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/",
        status_code=201,
        summary="Subscribe a URL to events (admin+); the signing secret is answered here only",
        description="At most 25 webhooks per workspace. Each delivery is a signed JSON POST: "
        '`X-Cascade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.',
    )
    @inject
    async def create(
        self, principal: Principal, workspace_id: UUID, data: WebhookRequest, uc: FromDishka[CreateWebhook]
    ) -> Envelope[WebhookSecretOut]:
        cmd = CreateWebhookCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            url=data.url,
            events=list(data.events),
            active=data.active,
        )
        return ok(webhook_secret_out(await uc(cmd)))

    @get("/", summary="Webhooks, oldest first, without their secrets (admin+)")
    @inject
    async def list_all(
        self,
        principal: Principal,
        workspace_id: UUID,
        uc: FromDishka[ListWebhooks],
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[WebhookOut]:
        query = ListWebhooksQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, page=PageRequest.of(limit=limit, cursor=cursor)
        )
        page = await uc(query)
        return ok_page(page, [webhook_out(w) for w in page.items])

    @get("/{webhook_id:uuid}", summary="One webhook, without its secret (admin+)")
    @inject
    async def get_one(
        self, principal: Principal, workspace_id: UUID, webhook_id: UUID, uc: FromDishka[GetWebhook]
    ) -> Envelope[WebhookOut]:
        query = GetWebhookQuery(actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id)
        return ok(webhook_out(await uc(query)))

    @patch(
        "/{webhook_id:uuid}",
        summary="Change the URL, the events or the active flag (admin+)",
        description="Activating clears the failure streak; deactivating dead-letters the pending deliveries "
        "(replayable once it is active again).",
    )
    @inject
    async def update(
        self,
        principal: Principal,
        workspace_id: UUID,
        webhook_id: UUID,
        data: WebhookPatch,
        uc: FromDishka[UpdateWebhook],
    ) -> Envelope[WebhookOut]:
        cmd = UpdateWebhookCommand(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            webhook_id=webhook_id,
            url=data.url,
            events=list(data.events) if data.events is not None else None,
            active=data.active,
        )
        return ok(webhook_out(await uc(cmd)))

    @delete("/{webhook_id:uuid}", status_code=204, summary="Delete a webhook with its delivery log (admin+)")
    @inject
    async def remove(
        self, principal: Principal, workspace_id: UUID, webhook_id: UUID, uc: FromDishka[DeleteWebhook]
    ) -> None:
        await uc(DeleteWebhookCommand(actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id))

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        status_code=200,
        summary="Give the webhook a new secret, answered here only (admin+)",
        description="Until `previousSecretExpiresAt` the old secret signs too: the signature header then "
        "carries two `v1` values, so a receiver can switch without losing a delivery.",
    )
    @inject
    async def rotate_secret(
        self, principal: Principal, workspace_id: UUID, webhook_id: UUID, uc: FromDishka[RotateWebhookSecret]
    ) -> Envelope[WebhookSecretOut]:
        cmd = RotateWebhookSecretCommand(actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id)
        return ok(webhook_secret_out(await uc(cmd)))

    @get("/{webhook_id:uuid}/deliveries", summary="The delivery log, newest first; `status=dead_lettered` (admin+)")
    @inject
    async def deliveries(
        self,
        principal: Principal,
        workspace_id: UUID,
        webhook_id: UUID,
        uc: FromDishka[ListDeliveries],
        status: StatusFilter = None,
        limit: Limit = None,
        cursor: CursorParam = None,
    ) -> PageEnvelope[DeliveryOut]:
        query = ListDeliveriesQuery(
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            webhook_id=webhook_id,
            page=PageRequest.of(limit=limit, cursor=cursor),
            status=DeliveryStatus(status) if status else None,
        )
        page = await uc(query)
        return ok_page(page, [delivery_out(d) for d in page.items])

    @get(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}",
        summary="One delivery with its payload, the exact body sent, and its attempt log (admin+)",
        description="`attemptLog` lists every attempt, replays' too, oldest first; `attempts` counts those since "
        "the delivery was made or last replayed.",
    )
    @inject
    async def delivery(
        self,
        principal: Principal,
        workspace_id: UUID,
        webhook_id: UUID,
        delivery_id: UUID,
        uc: FromDishka[GetDelivery],
    ) -> Envelope[DeliveryDetailOut]:
        query = GetDeliveryQuery(
            actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id, delivery_id=delivery_id
        )
        return ok(delivery_detail_out(await uc(query)))

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/replay",
        status_code=202,
        summary="Send a finished delivery again: same id, same body, a fresh retry window (admin+)",
        description="The webhook must be active; a delivery still pending is a 409.",
    )
    @inject
    async def replay(
        self,
        principal: Principal,
        workspace_id: UUID,
        webhook_id: UUID,
        delivery_id: UUID,
        uc: FromDishka[ReplayDelivery],
    ) -> Envelope[DeliveryOut]:
        cmd = ReplayDeliveryCommand(
            actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id, delivery_id=delivery_id
        )
        return ok(delivery_out(await uc(cmd)))

    @post(
        "/{webhook_id:uuid}/test",
        status_code=200,
        summary="POST a signed `ping` now and answer how it went (admin+)",
        description="One attempt, not retried, active webhook or not; kept in the delivery log as `succeeded` "
        "or `failed`.",
    )
    @inject
    async def test(
        self, principal: Principal, workspace_id: UUID, webhook_id: UUID, uc: FromDishka[SendTestPing]
    ) -> Envelope[DeliveryOut]:
        cmd = SendTestPingCommand(actor_id=principal.user_id, workspace_id=workspace_id, webhook_id=webhook_id)
        return ok(delivery_out(await uc(cmd)))
