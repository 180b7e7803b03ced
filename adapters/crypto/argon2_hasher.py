from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """argon2id (RFC 9106 low-memory profile by default), run off the event loop."""

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 4) -> None:
        self._argon = Argon2(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism)
        self._dummy = self._argon.hash("cascade-timing-equalizer")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._argon.verify, password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def burn(self, password: str) -> None:
        await self.verify(self._dummy, password)
