from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Protocol, Self

from ports.audit import AuditRepositories
from ports.credentials import CredentialRepositories
from ports.credits import CreditRepositories
from ports.enrichment import EnrichmentRepositories
from ports.events import EventRepositories
from ports.identity import IdentityRepositories
from ports.jobs import JobRepositories
from ports.records import RecordRepositories
from ports.replication import ReplicationRepositories
from ports.team import TeamRepositories
from ports.webhooks import WebhookRepositories
from ports.workspaces import WorkspaceRepositories


class UnitOfWork(
    IdentityRepositories,
    WorkspaceRepositories,
    TeamRepositories,
    CreditRepositories,
    CredentialRepositories,
    AuditRepositories,
    RecordRepositories,
    EnrichmentRepositories,
    JobRepositories,
    EventRepositories,
    ReplicationRepositories,
    WebhookRepositories,
    Protocol,
):
    """One transaction. Nothing is kept unless `commit()` is called.

    It carries the repositories of every context, one facet per context (its `<Context>Repositories` in
    `ports/<context>.py`); each adapter's contexts contribute their implementations (`REPOSITORIES`).
    """

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
