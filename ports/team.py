"""A workspace's team: invitations written inside a unit of work; members and invitations read without one."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.kernel.pagination import Page, PageRequest
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView


class InvitationRepository(Protocol):
    @abstractmethod
    async def add(self, invitation: Invitation) -> None:
        """Raise `Conflict` if an open invitation for the email exists."""

    @abstractmethod
    async def get(self, workspace_id: UUID, invitation_id: UUID) -> Invitation | None: ...

    @abstractmethod
    async def get_by_token_hash_for_update(self, token_hash: str) -> Invitation | None: ...

    @abstractmethod
    async def get_open_for_email(self, workspace_id: UUID, email: str) -> Invitation | None: ...

    @abstractmethod
    async def save(self, invitation: Invitation) -> None:
        """Persist acceptance or revocation."""


class TeamRepositories(Protocol):
    """What a unit of work carries for the team."""

    invitations: InvitationRepository


class TeamReader(Protocol):
    @abstractmethod
    async def list_members(self, workspace_id: UUID, page: PageRequest) -> Page[MemberView]:
        """Members in the order they joined."""

    @abstractmethod
    async def list_invitations(self, workspace_id: UUID, page: PageRequest) -> Page[Invitation]:
        """Invitations, newest first."""
