"""Roles, actions and the one permission matrix every route consults."""

from __future__ import annotations

from enum import Enum, IntEnum


class Role(IntEnum):
    """Ordered: a higher role can do everything a lower one can."""

    VIEWER = 1
    MEMBER = 2
    ADMIN = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Role:
        return cls[label.upper()]


class Action(Enum):
    WORKSPACE_READ = "workspace.read"
    WORKSPACE_RENAME = "workspace.rename"
    WORKSPACE_DELETE = "workspace.delete"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    INVITATIONS_MANAGE = "invitations.manage"
    RECORDS_READ = "records.read"
    RECORDS_WRITE = "records.write"
    JOBS_RUN = "jobs.run"
    WORKFLOWS_RUN = "workflows.run"
    CREDENTIALS_MANAGE = "credentials.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    INTEGRATIONS_MANAGE = "integrations.manage"
    AUDIT_READ = "audit.read"
    BILLING_READ = "billing.read"
    BILLING_MANAGE = "billing.manage"
    CREDITS_READ = "credits.read"
    CREDITS_GRANT = "credits.grant"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.WORKSPACE_READ: Role.VIEWER,
    Action.MEMBERS_READ: Role.VIEWER,
    Action.RECORDS_READ: Role.VIEWER,
    Action.CREDITS_READ: Role.VIEWER,
    Action.RECORDS_WRITE: Role.MEMBER,
    Action.JOBS_RUN: Role.MEMBER,
    Action.WORKFLOWS_RUN: Role.MEMBER,
    Action.WORKSPACE_RENAME: Role.ADMIN,
    Action.MEMBERS_MANAGE: Role.ADMIN,
    Action.INVITATIONS_MANAGE: Role.ADMIN,
    Action.CREDENTIALS_MANAGE: Role.ADMIN,
    Action.WEBHOOKS_MANAGE: Role.ADMIN,
    Action.INTEGRATIONS_MANAGE: Role.ADMIN,
    Action.AUDIT_READ: Role.ADMIN,
    Action.BILLING_READ: Role.ADMIN,
    Action.BILLING_MANAGE: Role.OWNER,
    Action.CREDITS_GRANT: Role.OWNER,
    Action.WORKSPACE_DELETE: Role.OWNER,
}


def can(role: Role, action: Action) -> bool:
    return role >= MINIMUM_ROLE[action]


def can_grant(actor: Role, role: Role) -> bool:
    """Whether `actor` may give someone `role` (by invitation or role change).

    Admins manage the roles below admin; only owners promote to admin or owner.
    """
    if not can(actor, Action.MEMBERS_MANAGE):
        return False
    return actor == Role.OWNER or role < Role.ADMIN


def can_manage_member(actor: Role, target: Role) -> bool:
    """Whether `actor` may change the role of, or remove, a member holding `target`."""
    return can_grant(actor, target)


def can_change_role(actor: Role, target: Role, new_role: Role) -> bool:
    return can_manage_member(actor, target) and can_grant(actor, new_role)
