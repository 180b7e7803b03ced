"""What happened, for others to hear: written to an outbox in the transaction that made it true.

Webhooks and analytics read the outbox later; an event is never lost with a
crash, because it is committed or rolled back with the change it reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID


class EventType(Enum):
    JOB_COMPLETED = "job.completed"  # completed or partially completed
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"  # its inputs changed, or an enrichment ended without finding a field
    RECORD_ENRICHED = "record.enriched"  # a record's enrichment ended with one or more fields found
    RECORD_DELETED = "record.deleted"
    CREDITS_LOW = "credits.low"  # available credits fell below the deployment's threshold


@dataclass(slots=True, kw_only=True, frozen=True)
class Event:
    id: UUID
    workspace_id: UUID
    type: EventType
    data: dict[str, Any]  # JSON-ready: strings, numbers, booleans, lists and objects of them
    occurred_at: datetime
