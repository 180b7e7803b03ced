"""Workspaces and the memberships that give people a role in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.identity.users import clean_name
from domain.kernel.permissions import Role

MAX_WORKSPACE_NAME_LENGTH = 100


def clean_workspace_name(raw: str) -> str:
    return clean_name(raw, max_length=MAX_WORKSPACE_NAME_LENGTH)


@dataclass(slots=True, kw_only=True)
class Workspace:
    id: UUID
    name: str
    created_by: UUID
    created_at: datetime


@dataclass(slots=True, kw_only=True)
class Membership:
    workspace_id: UUID
    user_id: UUID
    role: Role
    created_at: datetime


@dataclass(slots=True, kw_only=True, frozen=True)
class WorkspaceView:
    """A workspace as one of its members sees it."""

    id: UUID
    name: str
    role: Role
    created_at: datetime


@dataclass(slots=True, kw_only=True, frozen=True)
class MemberView:
    user_id: UUID
    email: str
    name: str
    role: Role
    joined_at: datetime
