"""Provider credentials: the write side inside a unit of work, the read side without one."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.credentials.credential import Credential
from domain.kernel.pagination import Page, PageRequest


class CredentialRepository(Protocol):
    @abstractmethod
    async def add(self, credential: Credential) -> None:
        """Raise `Conflict` if the id is taken."""

    @abstractmethod
    async def get_for_update(self, workspace_id: UUID, credential_id: UUID) -> Credential | None:
        """The credential of that workspace, held until the transaction ends; None for another workspace's."""

    @abstractmethod
    async def save(self, credential: Credential) -> None:
        """Persist label, sealed secret, last4 and updated_at."""

    @abstractmethod
    async def delete(self, workspace_id: UUID, credential_id: UUID) -> None: ...

    @abstractmethod
    async def list_not_under_key_for_update(
        self, key_version: str, *, after: UUID | None, limit: int
    ) -> list[Credential]:
        """Up to `limit` credentials sealed under any other key, ids above `after`, in id order, held."""


class CredentialRepositories(Protocol):
    """What a unit of work carries for provider credentials."""

    credentials: CredentialRepository


class CredentialReader(Protocol):
    @abstractmethod
    async def get(self, workspace_id: UUID, credential_id: UUID) -> Credential | None: ...

    @abstractmethod
    async def list_for_workspace(self, workspace_id: UUID, page: PageRequest) -> Page[Credential]:
        """The workspace's credentials, newest first."""

    @abstractmethod
    async def newest_for_provider(self, workspace_id: UUID, provider: str) -> Credential | None:
        """The workspace's most recently updated key for a provider: the one enrichment uses."""

    @abstractmethod
    async def count_not_under_key(self, key_version: str) -> int:
        """How many credentials, in every workspace, are sealed under another key."""
