"""Enrichment jobs: many records through the waterfall, paid from one reservation.

A job is created `queued` with its items (one per record, numbered from 0)
and the most it could cost reserved up front. A worker moves it to
`running`, enriches its items in batches (an item is `pending` until its
record is saved with its result) and finishes it: `completed` when every
item was answered, `partially_completed` when some failed or were left,
`failed` when none could be answered, `cancelled` when a user asked it to
stop. Finishing releases what the reservation still holds.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from domain.enrichment.provider_registry import ProviderSpec
from domain.enrichment.schema import COMPANY_FIELDS, PERSON_FIELDS, EntityKind
from domain.kernel.errors import ErrorDetail, ValidationFailed
from domain.records.record import RecordStatus

MAX_JOB_RECORDS = 10_000


class JobStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class ItemState(Enum):
    PENDING = "pending"
    DONE = "done"


# What became of an item's record; the record statuses, plus a record deleted before its turn.
MISSING = "missing"


@dataclass(slots=True, kw_only=True, frozen=True)
class JobProgress:
    total: int
    done: int = 0
    enriched: int = 0
    partial: int = 0
    not_found: int = 0
    failed: int = 0  # no provider could answer, or the record was gone

    @property
    def pending(self) -> int:
        return self.total - self.done

    @classmethod
    def of(cls, total: int, outcomes: dict[str, int]) -> JobProgress:
        """From the count of done items by outcome."""
        enriched = outcomes.get(RecordStatus.ENRICHED.value, 0)
        partial = outcomes.get(RecordStatus.PARTIAL.value, 0)
        not_found = outcomes.get(RecordStatus.NOT_FOUND.value, 0)
        done = sum(outcomes.values())
        return cls(
            total=total,
            done=done,
            enriched=enriched,
            partial=partial,
            not_found=not_found,
            failed=done - enriched - partial - not_found,
        )


@dataclass(slots=True, kw_only=True)
class Job:
    id: UUID
    workspace_id: UUID
    created_by: UUID
    status: JobStatus
    fields: tuple[str, ...]
    providers: tuple[str, ...]  # the waterfall order, resolved when the job was made
    total: int
    credits_reserved: int
    reservation_id: UUID | None  # None when nothing could cost anything
    idempotency_key: str | None
    fingerprint: str  # of the request, to tell a retry from a different job under the same key
    cancel_requested: bool = False
    credits_spent: int | None = None  # counted when finished; while running, read off the reservation
    final_progress: JobProgress | None = None  # counted when finished; while running, from the items
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class JobItem:
    job_id: UUID
    workspace_id: UUID
    position: int
    record_id: UUID
    state: ItemState = ItemState.PENDING
    outcome: str | None = None  # a RecordStatus value or MISSING, once done
    credits: int = 0  # what this run's attempts cost (a retried record's first charge stays in the ledger)
    fields: tuple[str, ...] = ()  # the wanted fields found
    error: str | None = None
    finished_at: datetime | None = None


def final_status(progress: JobProgress, *, cancelled: bool) -> JobStatus:
    if cancelled:
        return JobStatus.CANCELLED
    answered = progress.enriched + progress.partial + progress.not_found
    if answered == 0:
        return JobStatus.FAILED
    if answered < progress.total:
        return JobStatus.PARTIALLY_COMPLETED
    return JobStatus.COMPLETED


def wanted_for(kind: EntityKind, fields: tuple[str, ...]) -> frozenset[str]:
    """The asked fields a record of this kind can have (a job may mix people and companies)."""
    allowed = PERSON_FIELDS if kind is EntityKind.PERSON else COMPANY_FIELDS
    return frozenset(f for f in fields if f in allowed)


def check_job_fields(fields: tuple[str, ...], kinds: set[EntityKind]) -> None:
    """Every asked field is known, and every record's kind can have at least one of them."""
    known = set(PERSON_FIELDS) | set(COMPANY_FIELDS)
    unknown = [f for f in fields if f not in known]
    if not fields or unknown or len(set(fields)) != len(fields):
        raise _invalid("fields", "distinct names among the person and company fields")
    for kind in kinds:
        if not wanted_for(kind, fields):
            raise _invalid("fields", f"none of these fields belongs to a {kind.value} record")


def record_ceiling(kind: EntityKind, wanted: frozenset[str], order: list[ProviderSpec]) -> int:
    """The most one record's waterfall can cost: every provider that could supply a wanted field, once."""
    return sum(spec.credit_cost for spec in order if spec.supplies.get(kind, frozenset()) & wanted)


def batch_bounds(total: int, size: int) -> list[tuple[int, int]]:
    """Positions [start, end) of each batch."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def encode_position(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_position(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not raw.startswith("p"):
            raise ValueError(raw)
        position = int(raw[1:])
        if position < 0:
            raise ValueError(raw)
        return position
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid("cursor", "malformed") from exc


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field_name}: {message}", details=(ErrorDetail(field=field_name, message=message),))
