"""Users and their refresh-token families: written inside a unit of work, users read without one.

Every adapter raises the same domain errors for the same constraint violations (e.g. `Conflict` for a
duplicate email), proven by contract tests.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.identity.sessions import RefreshToken
from domain.identity.users import User


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


class IdentityRepositories(Protocol):
    """What a unit of work carries for identity."""

    users: UserRepository
    refresh_tokens: RefreshTokenRepository


class UserReader(Protocol):
    @abstractmethod
    async def get(self, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...
