"""dishka wiring of outgoing webhooks: the policy from settings, the guarded sender, the use cases, the dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide

from adapters.memory.events import MemoryEventReader
from adapters.memory.webhooks import MemoryWebhookReader
from adapters.net.guarded_http import GuardedHttp, SystemResolver
from adapters.net.shared_client import shared_client
from adapters.postgres.events import PostgresEventReader
from adapters.postgres.webhooks import PostgresWebhookReader
from adapters.system.jitter import SystemJitter
from adapters.webhooks.guarded_sender import GuardedWebhookSender
from application.webhook.create_webhook import CreateWebhook
from application.webhook.delete_webhook import DeleteWebhook
from application.webhook.deliver_due_webhooks import DeliverDueWebhooks
from application.webhook.dispatcher import DispatchTuning, WebhookDispatcher
from application.webhook.get_delivery import GetDelivery
from application.webhook.get_webhook import GetWebhook
from application.webhook.list_deliveries import ListDeliveries
from application.webhook.list_webhooks import ListWebhooks
from application.webhook.publish_events import PublishEvents
from application.webhook.replay_delivery import ReplayDelivery
from application.webhook.rotate_webhook_keys import RotateWebhookKeys
from application.webhook.rotate_webhook_secret import RotateWebhookSecret
from application.webhook.send_test_ping import SendTestPing
from application.webhook.update_webhook import UpdateWebhook
from domain.credits.ledger import LowCreditPolicy
from domain.kernel.network_policy import NetworkPolicy, parse_allowlist
from domain.webhooks.webhook import WebhookPolicy
from entrypoints.wiring.dispatch_steps import ScopedDispatchSteps
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.events import EventReader
from ports.system import Jitter
from ports.webhooks import WebhookReader, WebhookSender


def webhook_policy(settings: Settings) -> WebhookPolicy:
    return WebhookPolicy(
        network=NetworkPolicy(parse_allowlist(settings.network_allowlist)),
        require_https=settings.profile == "production",
        first_retry_seconds=settings.webhooks.first_retry_seconds,
        max_retry_seconds=settings.webhooks.max_retry_seconds,
        retry_window_seconds=settings.webhooks.retry_window_seconds,
        disable_after=settings.webhooks.disable_after,
        secret_grace_seconds=settings.webhooks.secret_grace_seconds,
        lease_seconds=settings.webhooks.lease_seconds,
    )


class WebhookWiring(Provider):
    scope = Scope.APP
    jitter = provide(SystemJitter, provides=Jitter)

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, WebhookReader, memory=MemoryWebhookReader, postgres=PostgresWebhookReader)
        provide_reader(self, topology, EventReader, memory=MemoryEventReader, postgres=PostgresEventReader)

    @provide
    def policy(self, settings: Settings) -> WebhookPolicy:
        return webhook_policy(settings)

    @provide
    def low_credits(self, settings: Settings) -> LowCreditPolicy:
        return LowCreditPolicy(threshold=settings.credits_low_threshold)

    @provide
    async def sender(self, settings: Settings, policy: WebhookPolicy) -> AsyncIterator[WebhookSender]:
        # no redirects (a receiver that redirects is a failed delivery), no proxies from the environment
        async with shared_client(trust_env=False) as client:
            guarded = GuardedHttp(
                policy.network,
                client,
                SystemResolver(),
                user_agent=settings.webhooks.user_agent,
                timeout_seconds=settings.webhooks.timeout_seconds,
            )
            yield GuardedWebhookSender(guarded)
            await guarded.aclose()

    @provide
    def tuning(self, settings: Settings) -> DispatchTuning:
        return DispatchTuning(concurrency=settings.webhooks.concurrency, poll_seconds=settings.webhooks.poll_seconds)

    @provide
    async def dispatcher(self, container: AsyncContainer, tuning: DispatchTuning) -> AsyncIterator[WebhookDispatcher]:
        dispatcher = WebhookDispatcher(ScopedDispatchSteps(container), tuning)
        yield dispatcher
        await dispatcher.stop()

    create_webhook = provide(CreateWebhook, scope=Scope.REQUEST)
    list_webhooks = provide(ListWebhooks, scope=Scope.REQUEST)
    get_webhook = provide(GetWebhook, scope=Scope.REQUEST)
    update_webhook = provide(UpdateWebhook, scope=Scope.REQUEST)
    delete_webhook = provide(DeleteWebhook, scope=Scope.REQUEST)
    rotate_webhook_secret = provide(RotateWebhookSecret, scope=Scope.REQUEST)
    list_deliveries = provide(ListDeliveries, scope=Scope.REQUEST)
    get_delivery = provide(GetDelivery, scope=Scope.REQUEST)
    replay_delivery = provide(ReplayDelivery, scope=Scope.REQUEST)
    send_test_ping = provide(SendTestPing, scope=Scope.REQUEST)
    publish_events = provide(PublishEvents, scope=Scope.REQUEST)
    deliver_due_webhooks = provide(DeliverDueWebhooks, scope=Scope.REQUEST)
    rotate_webhook_keys = provide(RotateWebhookKeys, scope=Scope.REQUEST)
