"""Write-side repositories; each lives inside a UnitOfWork transaction.

Every adapter raises the same domain errors for the same constraint
violations (e.g. `Conflict` for a duplicate email), proven by contract tests.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.identity.sessions import RefreshToken
from domain.identity.users import User
from domain.team.invitations import Invitation
from domain.workspaces.workspace import Membership, Workspace


class UserRepository(Protocol):
    @abstractmethod
    async def add(self, user: User) -> None:
        """Raise `Conflict` if the email is taken."""

    @abstractmethod
    async def get(self, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def set_platform_admin(self, user_id: UUID, value: bool) -> None: ...


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


class RefreshTokenRepository(Protocol):
    @abstractmethod
    async def add(self, token: RefreshToken) -> None: ...

    @abstractmethod
    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None: ...

    @abstractmethod
    async def mark_used(self, token_id: UUID, at: datetime) -> None: ...

    @abstractmethod
    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        """Revoke every not-yet-revoked token of the family; return how many."""


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
