"""The headers of one delivery attempt, signed with the subscription's current (and rotated-out) secrets."""

from __future__ import annotations

from datetime import datetime

from domain.signatures import signature_header
from domain.webhooks import Delivery, WebhookSubscription, secret_context
from ports.secret_box import SecretBox


def signed_headers(
    box: SecretBox, subscription: WebhookSubscription, delivery: Delivery, now: datetime
) -> dict[str, str]:
    context = secret_context(subscription.workspace_id, subscription.id)
    secrets = [box.open(sealed, context=context) for sealed in subscription.signing_secrets(now)]
    return {
        "Content-Type": "application/json",
        "X-Cascade-Event": delivery.event_type,
        "X-Cascade-Delivery": str(delivery.id),
        "X-Cascade-Attempt": str(delivery.attempts + 1),
        "X-Cascade-Signature": signature_header(secrets, int(now.timestamp()), delivery.body),
    }
