from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.credentials.credential import Credential
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Action
from ports.credentials import CredentialReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class ListCredentialsQuery:
    actor_id: UUID
    workspace_id: UUID
    page: PageRequest


class ListCredentials:
    """The workspace's credentials, newest first. Rules: admin or owner."""

    def __init__(self, workspaces: WorkspaceReader, credentials: CredentialReader) -> None:
        self._workspaces = workspaces
        self._credentials = credentials

    async def __call__(self, query: ListCredentialsQuery) -> Page[Credential]:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.CREDENTIALS_MANAGE)
        return await self._credentials.list_for_workspace(query.workspace_id, query.page)
