from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.delivery_attempts import append_attempts, attempts_of
from adapters.postgres.pagination import FIRST_CURSOR, LAST_CURSOR
from adapters.postgres.pool import Connection, Repositories, connection
from domain.credentials.credential import SealedSecret
from domain.kernel.errors import Conflict
from domain.kernel.pagination import Cursor, Page, PageRequest, page_of
from domain.webhooks.webhook import MAX_ERROR_CHARS, Delivery, DeliveryAttempt, DeliveryStatus, WebhookSubscription
from ports.webhooks import DeliveryDetail

INSERT_WEBHOOK = """
INSERT INTO webhook_subscriptions
    (id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
     previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
     active, failure_streak, disabled_reason, created_by, created_at, updated_at)
VALUES (%(id)s, %(ws)s, %(url)s, %(events)s, %(ciphertext)s, %(nonce)s, %(key_version)s,
        %(previous_ciphertext)s, %(previous_nonce)s, %(previous_key_version)s, %(previous_expires_at)s,
        %(active)s, %(failure_streak)s, %(disabled_reason)s, %(created_by)s, %(created_at)s, %(updated_at)s)
"""
COUNT_WEBHOOKS = "SELECT count(*) FROM webhook_subscriptions WHERE workspace_id = %(ws)s"
SELECT_WEBHOOK = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE workspace_id = %(ws)s AND id = %(id)s
"""
SELECT_WEBHOOK_FOR_UPDATE = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE workspace_id = %(ws)s AND id = %(id)s
FOR UPDATE
"""
# Locked in id order: two transactions locking overlapping sets never wait on each other in a circle.
LOCK_WEBHOOKS = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE
"""
SAVE_WEBHOOK = """
UPDATE webhook_subscriptions
SET url = %(url)s, events = %(events)s, secret_ciphertext = %(ciphertext)s, secret_nonce = %(nonce)s,
    secret_key_version = %(key_version)s, previous_secret_ciphertext = %(previous_ciphertext)s,
    previous_secret_nonce = %(previous_nonce)s, previous_secret_key_version = %(previous_key_version)s,
    previous_secret_expires_at = %(previous_expires_at)s, active = %(active)s, failure_streak = %(failure_streak)s,
    disabled_reason = %(disabled_reason)s, updated_at = %(updated_at)s
WHERE workspace_id = %(ws)s AND id = %(id)s
"""
# Its deliveries go with it (ON DELETE CASCADE).
DELETE_WEBHOOK = "DELETE FROM webhook_subscriptions WHERE workspace_id = %(ws)s AND id = %(id)s"
SELECT_SUBSCRIBERS = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE active AND workspace_id = ANY(%(ws)s)
ORDER BY id
"""
LIST_WEBHOOKS = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE workspace_id = %(ws)s AND (created_at, id) > (%(after_ts)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s
"""
# A current or a previous secret under another key (a NULL previous one is none). Rows another transaction
# re-sealed meanwhile are re-checked after the lock and skipped.
SELECT_NOT_UNDER_KEY_FOR_UPDATE = """
SELECT id, workspace_id, url, events, secret_ciphertext, secret_nonce, secret_key_version,
       previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version, previous_secret_expires_at,
       active, failure_streak, disabled_reason, created_by, created_at, updated_at
FROM webhook_subscriptions
WHERE (secret_key_version <> %(key)s OR previous_secret_key_version <> %(key)s) AND id > %(after)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE
"""
COUNT_NOT_UNDER_KEY = """
SELECT count(*) FROM webhook_subscriptions
WHERE (secret_key_version <> %(key)s OR previous_secret_key_version <> %(key)s)
"""

INSERT_DELIVERY = """
INSERT INTO webhook_deliveries
    (id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
     last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
     replayed_at, finished_at)
VALUES (%(id)s, %(ws)s, %(subscription_id)s, %(event_id)s, %(event_type)s, %(body)s, %(status)s, %(attempts)s,
        %(next_attempt_at)s, %(lease_id)s, %(last_attempt_at)s, %(last_status_code)s, %(last_latency_ms)s,
        %(last_response_excerpt)s, %(last_error)s, %(created_at)s, %(replayed_at)s, %(finished_at)s)
"""
# One statement: lock the longest-due pending rows no other transaction holds, lease them, and answer them
# in the order they were due (a lease moves next_attempt_at, so the old value is kept for the ORDER BY).
CLAIM_DUE = """
WITH due AS MATERIALIZED (
    SELECT id, next_attempt_at FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt_at <= %(now)s
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE webhook_deliveries d
    SET lease_id = %(lease_id)s, next_attempt_at = %(lease_until)s
    FROM due
    WHERE d.id = due.id
    RETURNING due.next_attempt_at AS due_at, d.id, d.workspace_id, d.subscription_id, d.event_id, d.event_type,
              d.body, d.status, d.attempts, d.next_attempt_at, d.lease_id, d.last_attempt_at, d.last_status_code,
              d.last_latency_ms, d.last_response_excerpt, d.last_error, d.created_at, d.replayed_at, d.finished_at
)
SELECT id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
       last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
       replayed_at, finished_at
FROM claimed ORDER BY due_at, id
"""
# What `save` persists; `finish_attempts` the same SET, only where the stored row still holds the lease.
SAVE_DELIVERY = """
UPDATE webhook_deliveries
SET status = %(status)s, attempts = %(attempts)s, next_attempt_at = %(next_attempt_at)s, lease_id = %(lease_id)s,
    last_attempt_at = %(last_attempt_at)s, last_status_code = %(last_status_code)s,
    last_latency_ms = %(last_latency_ms)s, last_response_excerpt = %(last_response_excerpt)s,
    last_error = %(last_error)s, replayed_at = %(replayed_at)s, finished_at = %(finished_at)s
WHERE id = %(id)s
"""
FINISH_ATTEMPT = """
UPDATE webhook_deliveries
SET status = %(status)s, attempts = %(attempts)s, next_attempt_at = %(next_attempt_at)s, lease_id = %(lease_id)s,
    last_attempt_at = %(last_attempt_at)s, last_status_code = %(last_status_code)s,
    last_latency_ms = %(last_latency_ms)s, last_response_excerpt = %(last_response_excerpt)s,
    last_error = %(last_error)s, replayed_at = %(replayed_at)s, finished_at = %(finished_at)s
WHERE id = %(id)s AND lease_id = %(held_lease_id)s
RETURNING id
"""
SELECT_DELIVERY = """
SELECT id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
       last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
       replayed_at, finished_at
FROM webhook_deliveries
WHERE workspace_id = %(ws)s AND subscription_id = %(webhook_id)s AND id = %(id)s
"""
SELECT_DELIVERY_FOR_UPDATE = """
SELECT id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
       last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
       replayed_at, finished_at
FROM webhook_deliveries
WHERE workspace_id = %(ws)s AND subscription_id = %(webhook_id)s AND id = %(id)s
FOR UPDATE
"""
# The first statement of a transaction whose reads all see one moment (a delivery and its attempt log).
ONE_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
DEAD_LETTER_PENDING = """
UPDATE webhook_deliveries
SET status = 'dead_lettered', next_attempt_at = NULL, lease_id = NULL, last_error = %(reason)s, finished_at = %(at)s
WHERE subscription_id = %(webhook_id)s AND status = 'pending'
"""
LIST_DELIVERIES = """
SELECT id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
       last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
       replayed_at, finished_at
FROM webhook_deliveries
WHERE workspace_id = %(ws)s AND subscription_id = %(webhook_id)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""
LIST_DELIVERIES_OF_STATUS = """
SELECT id, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
       last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
       replayed_at, finished_at
FROM webhook_deliveries
WHERE workspace_id = %(ws)s AND subscription_id = %(webhook_id)s AND (created_at, id) < (%(before_ts)s, %(before_id)s)
AND status = %(status)s
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s
"""


@contextmanager
def constraint_violation_as_conflict(message: str) -> Iterator[None]:
    """A duplicate id or a missing parent row, as the memory adapter reports them."""
    try:
        yield
    except (errors.UniqueViolation, errors.ForeignKeyViolation) as exc:
        raise Conflict(message) from exc


def _sealed(ciphertext: Any, nonce: Any, key_version: str | None) -> SealedSecret | None:
    if ciphertext is None or nonce is None or key_version is None:
        return None
    return SealedSecret(ciphertext=bytes(ciphertext), nonce=bytes(nonce), key_version=key_version)


def webhook_from_row(row: tuple[Any, ...]) -> WebhookSubscription:
    (id_, workspace_id, url, events, ciphertext, nonce, key_version,
     previous_ciphertext, previous_nonce, previous_key_version, previous_expires_at,
     active, failure_streak, disabled_reason, created_by, created_at, updated_at) = row  # fmt: skip
    sealed = _sealed(ciphertext, nonce, key_version)
    assert sealed is not None, "the current secret is NOT NULL"
    return WebhookSubscription(
        id=id_,
        workspace_id=workspace_id,
        url=url,
        events=tuple(events),
        sealed_secret=sealed,
        previous_secret=_sealed(previous_ciphertext, previous_nonce, previous_key_version),
        previous_secret_expires_at=previous_expires_at,
        active=active,
        failure_streak=failure_streak,
        disabled_reason=disabled_reason,
        created_by=created_by,
        created_at=created_at,
        updated_at=updated_at,
    )


def _webhook_params(subscription: WebhookSubscription) -> dict[str, Any]:
    """The parameters of both INSERT_WEBHOOK and SAVE_WEBHOOK."""
    previous = subscription.previous_secret
    return {
        "id": subscription.id,
        "ws": subscription.workspace_id,
        "url": subscription.url,
        "events": list(subscription.events),
        "ciphertext": subscription.sealed_secret.ciphertext,
        "nonce": subscription.sealed_secret.nonce,
        "key_version": subscription.sealed_secret.key_version,
        "previous_ciphertext": previous.ciphertext if previous else None,
        "previous_nonce": previous.nonce if previous else None,
        "previous_key_version": previous.key_version if previous else None,
        "previous_expires_at": subscription.previous_secret_expires_at,
        "active": subscription.active,
        "failure_streak": subscription.failure_streak,
        "disabled_reason": subscription.disabled_reason,
        "created_by": subscription.created_by,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


def delivery_from_row(row: tuple[Any, ...]) -> Delivery:
    (id_, workspace_id, subscription_id, event_id, event_type, body, status, attempts, next_attempt_at, lease_id,
     last_attempt_at, last_status_code, last_latency_ms, last_response_excerpt, last_error, created_at,
     replayed_at, finished_at) = row  # fmt: skip
    return Delivery(
        id=id_,
        workspace_id=workspace_id,
        subscription_id=subscription_id,
        event_id=event_id,
        event_type=event_type,
        body=bytes(body),
        status=DeliveryStatus(status),
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        lease_id=lease_id,
        last_attempt_at=last_attempt_at,
        last_status_code=last_status_code,
        last_latency_ms=last_latency_ms,
        last_response_excerpt=last_response_excerpt,
        last_error=last_error,
        created_at=created_at,
        replayed_at=replayed_at,
        finished_at=finished_at,
    )


def _mutable_params(delivery: Delivery) -> dict[str, Any]:
    """The parameters of SAVE_DELIVERY: the SET it shares with FINISH_ATTEMPT, and the row's id."""
    return {
        "id": delivery.id,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "lease_id": delivery.lease_id,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_latency_ms": delivery.last_latency_ms,
        "last_response_excerpt": delivery.last_response_excerpt,
        "last_error": delivery.last_error,
        "replayed_at": delivery.replayed_at,
        "finished_at": delivery.finished_at,
    }


def _insert_params(delivery: Delivery) -> dict[str, Any]:
    return {
        **_mutable_params(delivery),
        "ws": delivery.workspace_id,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "body": delivery.body,
        "created_at": delivery.created_at,
    }


async def _one_webhook(conn: Connection, query: str, params: dict[str, Any]) -> WebhookSubscription | None:
    row = await (await conn.execute(query, params)).fetchone()
    return webhook_from_row(row) if row else None


async def _one_delivery(conn: Connection, query: str, params: dict[str, Any]) -> Delivery | None:
    row = await (await conn.execute(query, params)).fetchone()
    return delivery_from_row(row) if row else None


class PostgresWebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, subscription: WebhookSubscription) -> None:
        with constraint_violation_as_conflict("webhook already exists"):
            await self._conn.execute(INSERT_WEBHOOK, _webhook_params(subscription))

    async def count(self, workspace_id: UUID) -> int:
        row = await (await self._conn.execute(COUNT_WEBHOOKS, {"ws": workspace_id})).fetchone()
        return int(row[0]) if row else 0

    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None:
        return await _one_webhook(self._conn, SELECT_WEBHOOK_FOR_UPDATE, {"ws": workspace_id, "id": webhook_id})

    async def lock_many(self, webhook_ids: list[UUID]) -> list[WebhookSubscription]:
        if not webhook_ids:
            return []
        rows = await (await self._conn.execute(LOCK_WEBHOOKS, {"ids": list(webhook_ids)})).fetchall()
        return [webhook_from_row(r) for r in rows]

    async def save(self, subscription: WebhookSubscription) -> None:
        await self._conn.execute(SAVE_WEBHOOK, _webhook_params(subscription))

    async def delete(self, workspace_id: UUID, webhook_id: UUID) -> bool:
        cursor = await self._conn.execute(DELETE_WEBHOOK, {"ws": workspace_id, "id": webhook_id})
        return cursor.rowcount == 1

    async def subscribers(self, workspace_ids: list[UUID]) -> list[WebhookSubscription]:
        if not workspace_ids:
            return []
        rows = await (await self._conn.execute(SELECT_SUBSCRIBERS, {"ws": list(workspace_ids)})).fetchall()
        return [webhook_from_row(r) for r in rows]

    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[WebhookSubscription]:
        params = {"key": key_version, "after": after or UUID(int=0), "limit": limit}
        rows = await (await self._conn.execute(SELECT_NOT_UNDER_KEY_FOR_UPDATE, params)).fetchall()
        return [webhook_from_row(r) for r in rows]


class PostgresDeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add_many(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        with constraint_violation_as_conflict("delivery already exists or names no webhook"):
            async with self._conn.cursor() as cursor:
                await cursor.executemany(INSERT_DELIVERY, [_insert_params(d) for d in deliveries])

    async def claim_due(self, now: datetime, *, lease_id: UUID, lease_until: datetime, limit: int) -> list[Delivery]:
        params = {"now": now, "lease_id": lease_id, "lease_until": lease_until, "limit": max(limit, 0)}
        rows = await (await self._conn.execute(CLAIM_DUE, params)).fetchall()
        return [delivery_from_row(r) for r in rows]

    async def finish_attempts(self, deliveries: list[Delivery], lease_id: UUID) -> set[UUID]:
        if not deliveries:
            return set()
        # In id order (a stable sort keeps a repeated id's results in the order given), so that two
        # transactions finishing overlapping sets lock rows in the same order.
        ordered = sorted(deliveries, key=lambda d: d.id)
        saved: set[UUID] = set()
        async with self._conn.cursor() as cursor:
            await cursor.executemany(
                FINISH_ATTEMPT, [{**_mutable_params(d), "held_lease_id": lease_id} for d in ordered], returning=True
            )
            while True:
                saved.update(row[0] for row in await cursor.fetchall())
                if not cursor.nextset():
                    return saved

    async def add_attempts(self, attempts: list[DeliveryAttempt]) -> None:
        with constraint_violation_as_conflict("the attempt names no delivery"):
            await append_attempts(self._conn, attempts)

    async def get_for_update(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> Delivery | None:
        params = {"ws": workspace_id, "webhook_id": webhook_id, "id": delivery_id}
        return await _one_delivery(self._conn, SELECT_DELIVERY_FOR_UPDATE, params)

    async def save(self, delivery: Delivery) -> None:
        await self._conn.execute(SAVE_DELIVERY, _mutable_params(delivery))

    async def dead_letter_pending(self, webhook_id: UUID, reason: str, at: datetime) -> int:
        params = {"webhook_id": webhook_id, "reason": reason[:MAX_ERROR_CHARS], "at": at}
        cursor = await self._conn.execute(DEAD_LETTER_PENDING, params)
        return cursor.rowcount


class PostgresWebhookReader:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def list(self, workspace_id: UUID, page: PageRequest) -> Page[WebhookSubscription]:
        after = page.after or FIRST_CURSOR
        params = {"ws": workspace_id, "after_ts": after.created_at, "after_id": after.id, "limit": page.limit + 1}
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(LIST_WEBHOOKS, params)).fetchall()
        return page_of(
            [webhook_from_row(r) for r in rows], page.limit, lambda w: Cursor(created_at=w.created_at, id=w.id)
        )

    async def get(self, workspace_id: UUID, webhook_id: UUID) -> WebhookSubscription | None:
        async with connection(self._pool) as conn:
            return await _one_webhook(conn, SELECT_WEBHOOK, {"ws": workspace_id, "id": webhook_id})

    async def deliveries(
        self, workspace_id: UUID, webhook_id: UUID, page: PageRequest, status: DeliveryStatus | None = None
    ) -> Page[Delivery]:
        before = page.after or LAST_CURSOR
        params: dict[str, Any] = {
            "ws": workspace_id,
            "webhook_id": webhook_id,
            "before_ts": before.created_at,
            "before_id": before.id,
            "limit": page.limit + 1,
        }
        query = LIST_DELIVERIES
        if status is not None:
            query, params["status"] = LIST_DELIVERIES_OF_STATUS, status.value
        async with connection(self._pool) as conn:
            rows = await (await conn.execute(query, params)).fetchall()
        return page_of(
            [delivery_from_row(r) for r in rows], page.limit, lambda d: Cursor(created_at=d.created_at, id=d.id)
        )

    async def delivery_detail(self, workspace_id: UUID, webhook_id: UUID, delivery_id: UUID) -> DeliveryDetail | None:
        params = {"ws": workspace_id, "webhook_id": webhook_id, "id": delivery_id}
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(ONE_SNAPSHOT)
            found = await _one_delivery(conn, SELECT_DELIVERY, params)
            return DeliveryDetail(delivery=found, attempts=await attempts_of(conn, found.id)) if found else None

    async def count_not_under_key(self, key_version: str) -> int:
        async with connection(self._pool) as conn:
            row = await (await conn.execute(COUNT_NOT_UNDER_KEY, {"key": key_version})).fetchone()
        return int(row[0]) if row else 0


# This context's repositories in a unit of work (`WebhookRepositories` in ports/webhooks.py).
REPOSITORIES: Repositories = {
    "webhooks": PostgresWebhookRepository,
    "deliveries": PostgresDeliveryRepository,
}
