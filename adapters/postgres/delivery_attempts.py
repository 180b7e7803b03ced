"""The attempt log of webhook deliveries (webhook_delivery_attempts), for the delivery repository and reader."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.postgres.pool import Connection
from domain.webhooks.webhook import AttemptOutcome, DeliveryAttempt

# Numbered after the delivery's last entry: the caller holds the delivery's row, so no other transaction
# numbers one at the same time.
INSERT_ATTEMPT = """
INSERT INTO webhook_delivery_attempts
    (delivery_id, seq, attempt, started_at, status_code, latency_ms, response_excerpt, error)
SELECT %(delivery_id)s, coalesce(max(seq), 0) + 1, %(attempt)s, %(started_at)s, %(status_code)s, %(latency_ms)s,
       %(response_excerpt)s, %(error)s
FROM webhook_delivery_attempts
WHERE delivery_id = %(delivery_id)s
"""
SELECT_ATTEMPTS = """
SELECT delivery_id, attempt, started_at, status_code, latency_ms, response_excerpt, error
FROM webhook_delivery_attempts
WHERE delivery_id = %(delivery_id)s
ORDER BY seq
"""


def _params(attempt: DeliveryAttempt) -> dict[str, Any]:
    outcome = attempt.outcome
    return {
        "delivery_id": attempt.delivery_id,
        "attempt": attempt.number,
        "started_at": attempt.started_at,
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
        "response_excerpt": outcome.response_excerpt,
        "error": outcome.error,
    }


def _attempt_from_row(row: tuple[Any, ...]) -> DeliveryAttempt:
    delivery_id, number, started_at, status_code, latency_ms, response_excerpt, error = row
    outcome = AttemptOutcome(
        status_code=status_code, latency_ms=latency_ms, response_excerpt=response_excerpt, error=error
    )
    return DeliveryAttempt(delivery_id=delivery_id, number=number, started_at=started_at, outcome=outcome)


async def append_attempts(conn: Connection, attempts: list[DeliveryAttempt]) -> None:
    """In the order given (a delivery's entries are numbered in it)."""
    if attempts:
        async with conn.cursor() as cursor:
            await cursor.executemany(INSERT_ATTEMPT, [_params(a) for a in attempts])


async def attempts_of(conn: Connection, delivery_id: UUID) -> tuple[DeliveryAttempt, ...]:
    rows = await (await conn.execute(SELECT_ATTEMPTS, {"delivery_id": delivery_id})).fetchall()
    return tuple(_attempt_from_row(r) for r in rows)
