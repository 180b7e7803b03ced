"""One delivery attempt: the headers, signed with the subscription's current (and rotated-out) secrets, and the POST."""

from __future__ import annotations

from datetime import datetime

from domain.kernel.errors import SecretUnreadable
from domain.kernel.signatures import signature_header
from domain.webhooks.webhook import AttemptOutcome, Delivery, WebhookSubscription, secret_context
from ports.secret_box import SecretBox
from ports.webhooks import WebhookSender

UNREADABLE_SECRET = "the webhook's secret cannot be decrypted with the configured keys"  # noqa: S105 - a message


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


async def post_signed(
    sender: WebhookSender, box: SecretBox, subscription: WebhookSubscription, delivery: Delivery, now: datetime
) -> AttemptOutcome:
    """POST the delivery signed as of `now`. A secret the keyring cannot open (its key was dropped) is a failed
    attempt: a delivery is never sent unsigned."""
    try:
        headers = signed_headers(box, subscription, delivery, now)
    except SecretUnreadable:
        return AttemptOutcome(status_code=None, latency_ms=0, error=UNREADABLE_SECRET)
    return await sender.post(subscription.url, headers, delivery.body)
