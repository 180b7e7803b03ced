from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Protocol, Self

from ports.audit import AuditLogRepository
from ports.credentials import CredentialRepository
from ports.credits import CreditLedger
from ports.enrichment import AttemptLog
from ports.events import EventOutbox
from ports.identity import RefreshTokenRepository, UserRepository
from ports.jobs import JobRepository
from ports.records import RecordRepository
from ports.team import InvitationRepository
from ports.webhooks import DeliveryRepository, WebhookRepository
from ports.workspaces import MembershipRepository, WorkspaceRepository


class UnitOfWork(Protocol):
    """One transaction. Nothing is kept unless `commit()` is called."""

    users: UserRepository
    workspaces: WorkspaceRepository
    memberships: MembershipRepository
    refresh_tokens: RefreshTokenRepository
    invitations: InvitationRepository
    credits: CreditLedger
    credentials: CredentialRepository
    audit: AuditLogRepository
    records: RecordRepository
    attempts: AttemptLog
    jobs: JobRepository
    events: EventOutbox
    webhooks: WebhookRepository
    deliveries: DeliveryRepository

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    @abstractmethod
    async def commit(self) -> None: ...
