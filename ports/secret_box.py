"""Authenticated encryption of secrets at rest (provider credentials, later others)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.credentials.credential import SealedSecret


class SecretBox(Protocol):
    @property
    @abstractmethod
    def active_key_version(self) -> str:
        """The key new secrets are sealed with; rotation moves everything to it."""

    @abstractmethod
    def seal(self, plaintext: str, *, context: bytes) -> SealedSecret:
        """Encrypt under the active key with a fresh nonce, bound to `context` (associated data)."""

    @abstractmethod
    def open(self, sealed: SealedSecret, *, context: bytes) -> str:
        """Decrypt; raise `SecretUnreadable` if the ciphertext, nonce, context or key version is wrong."""
