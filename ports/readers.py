"""Read-side queries, served without a unit of work."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.identity.users import User
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation
from domain.workspaces.workspace import MemberView, WorkspaceView


class UserReader(Protocol):
    @abstractmethod
    async def get(self, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...


class WorkspaceReader(Protocol):
    @abstractmethod
    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None: ...

    @abstractmethod
    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None: ...

    @abstractmethod
    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        """The user's workspaces, oldest workspace first."""


class TeamReader(Protocol):
    @abstractmethod
    async def list_members(self, workspace_id: UUID, page: PageRequest) -> Page[MemberView]:
        """Members in the order they joined."""

    @abstractmethod
    async def list_invitations(self, workspace_id: UUID, page: PageRequest) -> Page[Invitation]:
        """Invitations, newest first."""
