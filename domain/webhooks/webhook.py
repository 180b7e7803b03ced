"""Outgoing webhooks: subscriptions, deliveries, their signed bodies and the retry schedule.

Rules:
- A subscription belongs to a workspace: an http(s) URL (https in production), the event types it wants (at
  least one, from `SUBSCRIBABLE`), a secret the server made and shows once, and an active flag. The URL is
  checked again by the SSRF guard at every delivery; here only what can be known without DNS is refused.
- One delivery per (event, subscription), made when the outbox is published. Its id is `X-Cascade-Delivery`
  and its body is fixed when it is made, so every attempt and every replay sends the same bytes under the
  same id: a receiver de-duplicates on the id.
- An attempt succeeds on a 2xx answer; anything else, a timeout or a refused address is a failure. After a
  failure the next attempt is `backoff` away (exponential, with jitter) unless that falls past the retry
  window, which dead-letters the delivery. A replay starts a new window.
- The delivery keeps its last attempt's outcome; its log keeps every attempt (replays' too), oldest first.
- `disable_after` dead-lettered deliveries in a row (no success between them) disable the subscription; its
  pending deliveries are dead-lettered with it, and can be replayed once it is enabled again.
- During a secret rotation the previous secret signs too, until it expires: the header then carries two `v1`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from domain.audit.entry import AuditEntry
from domain.credentials.credential import SealedSecret
from domain.kernel.errors import ErrorDetail, TargetRefused, ValidationFailed
from domain.kernel.events import Event, EventType
from domain.kernel.network_policy import NetworkPolicy, Target, parse_target

SUBSCRIBABLE = frozenset(
    {
        EventType.JOB_COMPLETED.value,
        EventType.JOB_FAILED.value,
        EventType.JOB_CANCELLED.value,
        EventType.RECORD_ENRICHED.value,
        EventType.CREDITS_LOW.value,
    }
)
PING = "ping"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MAX_SUBSCRIPTIONS = 25
MAX_RESPONSE_EXCERPT = 1024  # characters of a receiver's answer kept in the delivery log
MAX_ERROR_CHARS = 300
AUDIT_TARGET = "webhook"
WEBHOOK_CREATED = "webhook.created"
WEBHOOK_UPDATED = "webhook.updated"
WEBHOOK_DELETED = "webhook.deleted"
WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an audit action
WEBHOOK_DISABLED = "webhook.disabled"


class DeliveryStatus(Enum):
    PENDING = "pending"  # its next attempt is due at `next_attempt_at` (first try or retry)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a ping that failed: pings are tried once
    DEAD_LETTERED = "dead_lettered"  # failed for good; replayable


@dataclass(slots=True, kw_only=True, frozen=True)
class WebhookPolicy:
    """What a deployment allows and how hard it tries."""

    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    require_https: bool = False
    first_retry_seconds: float = 30.0
    max_retry_seconds: float = 6 * 3600.0
    retry_window_seconds: float = 3 * 86400.0
    disable_after: int = 5  # dead-lettered deliveries in a row
    secret_grace_seconds: float = 86400.0  # how long a rotated-out secret still signs
    lease_seconds: float = 60.0  # an attempt not recorded by then (its worker died) is made again

    def backoff(self, failures: int, jitter: float) -> timedelta:
        """The wait after the `failures`-th failure in a row: doubling from `first_retry_seconds` up to
        `max_retry_seconds`, then a random half of it kept ("equal jitter": never less than half the step,
        so retries spread without bunching at zero). `jitter` is uniform in [0, 1)."""
        step = min(self.first_retry_seconds * 2.0 ** min(max(failures - 1, 0), 60), self.max_retry_seconds)
        return timedelta(seconds=step / 2 + step / 2 * min(max(jitter, 0.0), 1.0))

    def next_attempt(self, window_start: datetime, failures: int, now: datetime, jitter: float) -> datetime | None:
        """When to try again after a failure, or None when that is past the retry window (dead letter)."""
        at = now + self.backoff(failures, jitter)
        return at if at <= window_start + timedelta(seconds=self.retry_window_seconds) else None


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def check_url(raw: str, policy: WebhookPolicy) -> str:
    """The normalized URL, or a 422 naming what is wrong. Names are resolved (and checked) at each delivery."""
    if not isinstance(raw, str) or not _SCHEME.match(raw.strip()):
        raise _invalid_url("must be an absolute http or https URL")  # not a bare domain, as the scraper allows
    try:
        target = parse_target(raw)
    except TargetRefused as exc:
        raise _invalid_url(exc.message) from None
    if policy.require_https and target.scheme != "https":
        raise _invalid_url("must use https")
    why = _refused_host(target, policy.network)
    if why is not None:
        raise _invalid_url(why)
    return target.url


def _refused_host(target: Target, network: NetworkPolicy) -> str | None:
    literal = target.ip
    if literal is not None:
        return network.refusal(literal)
    if target.host == "localhost" or target.host.endswith(".localhost"):
        return network.refusal("127.0.0.1") or network.refusal("::1")
    return None


def _invalid_url(message: str) -> ValidationFailed:
    return ValidationFailed(f"url {message}", details=(ErrorDetail(field="url", message=message),))


def check_events(raw: list[str]) -> tuple[str, ...]:
    """At least one known event type, each once; sorted."""
    unknown = sorted({e for e in raw if e not in SUBSCRIBABLE})
    if unknown or not raw:
        known = ", ".join(sorted(SUBSCRIBABLE))
        message = f"unknown event types {unknown}; known: {known}" if unknown else f"name one or more of {known}"
        raise ValidationFailed(f"events: {message}", details=(ErrorDetail(field="events", message=message),))
    if len(set(raw)) != len(raw):
        raise ValidationFailed(
            "events must not repeat a type", details=(ErrorDetail(field="events", message="repeated"),)
        )
    return tuple(sorted(raw))


def secret_context(workspace_id: UUID, webhook_id: UUID) -> bytes:
    """Associated data binding a sealed webhook secret to its subscription."""
    return b"cascade.webhook:" + workspace_id.bytes + webhook_id.bytes


@dataclass(slots=True, kw_only=True, frozen=True)
class WebhookSubscription:
    id: UUID
    workspace_id: UUID
    url: str
    events: tuple[str, ...]
    sealed_secret: SealedSecret
    previous_secret: SealedSecret | None = None  # still signs until `previous_secret_expires_at`
    previous_secret_expires_at: datetime | None = None
    active: bool = True
    failure_streak: int = 0  # dead-lettered deliveries since the last success
    disabled_reason: str | None = None
    created_by: UUID
    created_at: datetime
    updated_at: datetime

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in self.events

    def signing_secrets(self, now: datetime) -> list[SealedSecret]:
        """The current secret first, then the previous one while it has not expired."""
        previous = self.previous_secret
        expires = self.previous_secret_expires_at
        keep = previous is not None and expires is not None and now < expires
        return [self.sealed_secret, previous] if keep and previous is not None else [self.sealed_secret]

    def after_success(self, now: datetime) -> WebhookSubscription:
        return self if self.failure_streak == 0 else replace(self, failure_streak=0, updated_at=now)

    def after_dead_letter(self, policy: WebhookPolicy, now: datetime) -> WebhookSubscription:
        streak = self.failure_streak + 1
        if self.active and streak >= policy.disable_after:
            reason = f"{streak} deliveries in a row failed every attempt"
            return replace(self, failure_streak=streak, active=False, disabled_reason=reason, updated_at=now)
        return replace(self, failure_streak=streak, updated_at=now)

    def audit_entry(
        self, *, entry_id: UUID, actor_id: UUID | None, action: str, at: datetime, **details: str | list[str]
    ) -> AuditEntry:
        return AuditEntry(
            id=entry_id,
            workspace_id=self.workspace_id,
            actor_id=actor_id,
            action=action,
            target_type=AUDIT_TARGET,
            target_id=self.id,
            details={"url": self.url, **details},
            created_at=at,
        )


@dataclass(slots=True, kw_only=True, frozen=True)
class AttemptOutcome:
    """What one POST to a receiver came to."""

    status_code: int | None  # None when no answer came (refused, unreachable, timed out)
    latency_ms: int
    response_excerpt: str = ""
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def kept(self) -> AttemptOutcome:
        """As the delivery log keeps it: the answer and the error cut short."""
        return replace(
            self,
            response_excerpt=self.response_excerpt[:MAX_RESPONSE_EXCERPT],
            error=self.error[:MAX_ERROR_CHARS] if self.error else None,
        )


@dataclass(slots=True, kw_only=True, frozen=True)
class DeliveryAttempt:
    """One POST of a delivery, as its attempt log keeps it."""

    delivery_id: UUID
    number: int  # the X-Cascade-Attempt it was sent with: from 1 again after a replay
    started_at: datetime
    outcome: AttemptOutcome


@dataclass(slots=True, kw_only=True, frozen=True)
class Delivery:
    id: UUID  # X-Cascade-Delivery
    workspace_id: UUID
    subscription_id: UUID
    event_id: UUID | None  # None for a ping
    event_type: str
    body: bytes
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0  # since it was made or last replayed
    next_attempt_at: datetime | None = None  # when pending
    lease_id: UUID | None = None  # the worker attempting it now; results under another lease are dropped
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_response_excerpt: str = ""
    last_error: str | None = None
    created_at: datetime
    replayed_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def window_start(self) -> datetime:
        return self.replayed_at or self.created_at

    def claimed(self, lease_id: UUID, until: datetime) -> Delivery:
        return replace(self, lease_id=lease_id, next_attempt_at=until)

    def attempt_entry(self, outcome: AttemptOutcome, started_at: datetime) -> DeliveryAttempt:
        """The attempt log's entry for its next attempt, started at `started_at`, numbered as it is sent."""
        return DeliveryAttempt(
            delivery_id=self.id, number=self.attempts + 1, started_at=started_at, outcome=outcome.kept()
        )

    def attempted(self, outcome: AttemptOutcome, *, policy: WebhookPolicy, now: datetime, jitter: float) -> Delivery:
        """The delivery after one attempt: succeeded, pending with its next attempt, or dead-lettered."""
        kept = outcome.kept()
        tried = replace(
            self,
            attempts=self.attempts + 1,
            lease_id=None,
            last_attempt_at=now,
            last_status_code=kept.status_code,
            last_latency_ms=kept.latency_ms,
            last_response_excerpt=kept.response_excerpt,
            last_error=kept.error,
        )
        if outcome.succeeded:
            return replace(tried, status=DeliveryStatus.SUCCEEDED, next_attempt_at=None, finished_at=now)
        if self.event_type == PING:
            return replace(tried, status=DeliveryStatus.FAILED, next_attempt_at=None, finished_at=now)
        following = policy.next_attempt(self.window_start, tried.attempts, now, jitter)
        if following is None:
            return replace(tried, status=DeliveryStatus.DEAD_LETTERED, next_attempt_at=None, finished_at=now)
        return replace(tried, status=DeliveryStatus.PENDING, next_attempt_at=following)

    def dead_lettered(self, reason: str, now: datetime) -> Delivery:
        """Given up without an attempt (its subscription was disabled, paused or is gone)."""
        return replace(
            self,
            status=DeliveryStatus.DEAD_LETTERED,
            next_attempt_at=None,
            lease_id=None,
            last_error=reason[:MAX_ERROR_CHARS],
            finished_at=now,
        )

    def replayed(self, now: datetime) -> Delivery:
        """Due again now, with a fresh retry window; same id, same body."""
        return replace(
            self,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_id=None,
            replayed_at=now,
            finished_at=None,
        )


def event_body(event: Event) -> bytes:
    """The JSON every subscriber of the event receives."""
    return _body(event.id, event.type.value, event.workspace_id, event.occurred_at, event.data)


def ping_body(ping_id: UUID, subscription: WebhookSubscription, now: datetime) -> bytes:
    return _body(ping_id, PING, subscription.workspace_id, now, {"webhookId": str(subscription.id)})


def _body(event_id: UUID, type_: str, workspace_id: UUID, at: datetime, data: dict[str, Any]) -> bytes:
    document = {
        "id": str(event_id),
        "type": type_,
        "createdAt": at.isoformat().replace("+00:00", "Z"),
        "workspaceId": str(workspace_id),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def delivery_for(event: Event, subscription: WebhookSubscription, *, delivery_id: UUID, now: datetime) -> Delivery:
    return Delivery(
        id=delivery_id,
        workspace_id=event.workspace_id,
        subscription_id=subscription.id,
        event_id=event.id,
        event_type=event.type.value,
        body=event_body(event),
        next_attempt_at=now,
        created_at=now,
    )
