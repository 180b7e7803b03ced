"""The in-memory database: committed tables plus one writer at a time.

A unit of work copies the table maps on entry (entities are never shared:
repositories store and return copies), works on the copy and swaps it in on
commit. Writers are serialized by one lock, which gives the same isolation
the Postgres adapter gets from its row locks.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from uuid import UUID

from domain.identity import User
from domain.invitations import Invitation
from domain.sessions import RefreshToken
from domain.workspaces import Membership, Workspace


@dataclass(slots=True)
class Tables:
    users: dict[UUID, User] = field(default_factory=dict)
    workspaces: dict[UUID, Workspace] = field(default_factory=dict)
    memberships: dict[tuple[UUID, UUID], Membership] = field(default_factory=dict)
    refresh_tokens: dict[UUID, RefreshToken] = field(default_factory=dict)
    invitations: dict[UUID, Invitation] = field(default_factory=dict)
    # Set by a failed statement: like PostgreSQL, the transaction can then only roll back.
    aborted: bool = False

    def copy(self) -> Tables:
        return Tables(
            users=dict(self.users),
            workspaces=dict(self.workspaces),
            memberships=dict(self.memberships),
            refresh_tokens=dict(self.refresh_tokens),
            invitations=dict(self.invitations),
        )


class MemoryStore:
    def __init__(self) -> None:
        self.tables = Tables()
        self.write_lock = asyncio.Lock()
