from __future__ import annotations

import hashlib
import secrets

from ports.security import SecretToken


class Sha256SecretTokens:
    """256-bit random tokens, stored as SHA-256: high-entropy secrets need no slow hash."""

    def new(self) -> SecretToken:
        plaintext = secrets.token_urlsafe(32)
        return SecretToken(plaintext=plaintext, hash=self.hash_of(plaintext))

    def hash_of(self, plaintext: str) -> str:
        return hashlib.sha256(plaintext.encode()).hexdigest()
