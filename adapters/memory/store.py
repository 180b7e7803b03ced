"""The in-memory database: committed tables plus one writer at a time.

A unit of work copies the table maps on entry (entities are never shared:
repositories store and return copies), works on the copy and swaps it in on
commit. Writers are serialized by one lock, which gives the same isolation
the Postgres adapter gets from its row locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from uuid import UUID

from domain.audit.entry import AuditEntry
from domain.credentials.credential import Credential
from domain.credits.ledger import CreditAccount, LedgerEntry, Reservation
from domain.enrichment.waterfall import RecordedAttempt
from domain.identity.sessions import RefreshToken
from domain.identity.users import User
from domain.jobs.job import Job, JobItem
from domain.kernel.errors import Conflict
from domain.kernel.events import Event
from domain.records.record import Record
from domain.replication.replication import Failure, Position
from domain.team.invitations import Invitation
from domain.webhooks.webhook import Delivery, DeliveryAttempt, WebhookSubscription
from domain.workspaces.workspace import Membership, Workspace


@dataclass(slots=True)
class Tables:
    users: dict[UUID, User] = field(default_factory=dict)
    workspaces: dict[UUID, Workspace] = field(default_factory=dict)
    memberships: dict[tuple[UUID, UUID], Membership] = field(default_factory=dict)
    refresh_tokens: dict[UUID, RefreshToken] = field(default_factory=dict)
    invitations: dict[UUID, Invitation] = field(default_factory=dict)
    credit_accounts: dict[UUID, CreditAccount] = field(default_factory=dict)
    ledger: dict[UUID, LedgerEntry] = field(default_factory=dict)
    ledger_keys: dict[tuple[UUID, str], UUID] = field(default_factory=dict)
    reservations: dict[UUID, Reservation] = field(default_factory=dict)
    credentials: dict[UUID, Credential] = field(default_factory=dict)
    audit_log: dict[UUID, AuditEntry] = field(default_factory=dict)
    records: dict[UUID, Record] = field(default_factory=dict)
    attempts: dict[UUID, RecordedAttempt] = field(default_factory=dict)
    jobs: dict[UUID, Job] = field(default_factory=dict)
    job_items: dict[tuple[UUID, int], JobItem] = field(default_factory=dict)  # by (job, position)
    events: dict[UUID, Event] = field(default_factory=dict)
    published: dict[UUID, datetime] = field(default_factory=dict)  # event id -> when the outbox published it
    # event id -> its place in commit order (transactions here run one at a time, so adding is committing)
    event_order: dict[UUID, int] = field(default_factory=dict)
    # consumer -> (position, events applied, when it last moved)
    consumers: dict[str, tuple[Position, int, datetime]] = field(default_factory=dict)
    replication_failures: dict[tuple[str, UUID], Failure] = field(default_factory=dict)
    replication_leases: dict[str, tuple[UUID, datetime]] = field(default_factory=dict)  # consumer -> (token, until)
    webhooks: dict[UUID, WebhookSubscription] = field(default_factory=dict)
    deliveries: dict[UUID, Delivery] = field(default_factory=dict)
    # each delivery's attempt log, oldest first
    delivery_attempts: dict[UUID, tuple[DeliveryAttempt, ...]] = field(default_factory=dict)
    # Set by a failed statement: like PostgreSQL, the transaction can then only roll back.
    aborted: bool = False

    def copy(self) -> Tables:
        """Every table copied (its entities stay shared: repositories never mutate them in place)."""
        copied = Tables.__new__(Tables)  # not Tables(): its twenty empty tables would be thrown away at once
        copied.aborted = False
        for name in TABLE_NAMES:
            setattr(copied, name, dict(getattr(self, name)))
        return copied


TABLE_NAMES = tuple(f.name for f in fields(Tables) if f.name != "aborted")


class MemoryStore:
    def __init__(self) -> None:
        self.tables = Tables()
        self.write_lock = asyncio.Lock()


# A context's repositories in a unit of work, by the attribute the port names them, each made from the tables.
Repositories = dict[str, Callable[["Tables"], object]]


def conflict(tables: Tables, message: str) -> Conflict:
    """A constraint violation, which also aborts the transaction as it does in PostgreSQL."""
    tables.aborted = True
    return Conflict(message)
