"""Workspaces and memberships: written inside a unit of work, read without one."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Role
from domain.workspaces.workspace import Membership, Workspace, WorkspaceView


class WorkspaceRepository(Protocol):
    @abstractmethod
    async def add(self, workspace: Workspace) -> None: ...

    @abstractmethod
    async def get(self, workspace_id: UUID) -> Workspace | None: ...

    @abstractmethod
    async def lock(self, workspace_id: UUID) -> Workspace | None:
        """Read the workspace and hold it exclusively until the transaction ends.

        Team changes take this lock first, so they run one at a time per
        workspace and rules like "never remove the last owner" hold.
        """

    @abstractmethod
    async def rename(self, workspace_id: UUID, name: str) -> None: ...

    @abstractmethod
    async def delete(self, workspace_id: UUID) -> None:
        """Delete the workspace with its memberships and invitations."""


class MembershipRepository(Protocol):
    @abstractmethod
    async def add(self, membership: Membership) -> None:
        """Raise `Conflict` if the user is already a member."""

    @abstractmethod
    async def get(self, workspace_id: UUID, user_id: UUID) -> Membership | None: ...

    @abstractmethod
    async def get_for_share(self, workspace_id: UUID, user_id: UUID) -> Membership | None:
        """Read the membership and keep it from changing until the transaction ends."""

    @abstractmethod
    async def count_owners(self, workspace_id: UUID) -> int: ...

    @abstractmethod
    async def member_ids(self, workspace_id: UUID) -> list[UUID]:
        """Every member's user id, in the order they joined."""

    @abstractmethod
    async def update(self, membership: Membership) -> None: ...

    @abstractmethod
    async def remove(self, workspace_id: UUID, user_id: UUID) -> None: ...


class WorkspaceRepositories(Protocol):
    """What a unit of work carries for workspaces."""

    workspaces: WorkspaceRepository
    memberships: MembershipRepository


class WorkspaceReader(Protocol):
    @abstractmethod
    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None: ...

    @abstractmethod
    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None: ...

    @abstractmethod
    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        """The user's workspaces, oldest workspace first."""
