"""Refresh-token families: rotation on every use, reuse revokes the family.

A login starts a family. Each refresh consumes the presented token and issues
its successor in the same family. Presenting a token that was already consumed
means someone holds a copy: the whole family is revoked, so both the thief and
the victim must log in again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)


class RefreshTokenState(Enum):
    ACTIVE = "active"
    USED = "used"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RefreshVerdict(Enum):
    ROTATE = "rotate"
    REVOKE_FAMILY = "revoke_family"
    REJECT = "reject"


@dataclass(slots=True, kw_only=True)
class RefreshToken:
    id: UUID
    family_id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> RefreshTokenState:
        if self.revoked_at is not None:
            return RefreshTokenState.REVOKED
        if self.used_at is not None:
            return RefreshTokenState.USED
        if now >= self.expires_at:
            return RefreshTokenState.EXPIRED
        return RefreshTokenState.ACTIVE

    def verdict(self, now: datetime) -> RefreshVerdict:
        """What presenting this token at `now` must lead to."""
        state = self.state(now)
        if state is RefreshTokenState.ACTIVE:
            return RefreshVerdict.ROTATE
        if state is RefreshTokenState.USED:
            return RefreshVerdict.REVOKE_FAMILY
        return RefreshVerdict.REJECT

    def consume(self, now: datetime) -> None:
        if self.verdict(now) is not RefreshVerdict.ROTATE:
            raise ValueError("only an active refresh token can be consumed")
        self.used_at = now
