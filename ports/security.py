"""Password hashing, access tokens and opaque secret tokens."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


class PasswordHasher(Protocol):
    @abstractmethod
    async def hash(self, password: str) -> str: ...

    @abstractmethod
    async def verify(self, password_hash: str, password: str) -> bool:
        """False for a wrong password; never raises for one."""

    @abstractmethod
    async def burn(self, password: str) -> None:
        """Spend the time of one verification, for unknown users (no timing oracle)."""


@dataclass(slots=True, kw_only=True, frozen=True)
class AccessClaims:
    user_id: UUID
    token_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(slots=True, kw_only=True, frozen=True)
class IssuedAccessToken:
    token: str
    expires_in_seconds: int


class AccessTokenIssuer(Protocol):
    @abstractmethod
    def issue(self, user_id: UUID, now: datetime) -> IssuedAccessToken: ...

    @abstractmethod
    def verify(self, token: str) -> AccessClaims:
        """Raise `Unauthorized` for anything but a valid, current token."""


@dataclass(slots=True, kw_only=True, frozen=True)
class SecretToken:
    """A random token shown once, and the hash under which it is stored."""

    plaintext: str
    hash: str


class SecretTokens(Protocol):
    @abstractmethod
    def new(self) -> SecretToken: ...

    @abstractmethod
    def hash_of(self, plaintext: str) -> str: ...
