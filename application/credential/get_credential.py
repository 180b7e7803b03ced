from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize
from domain.credentials.credential import Credential
from domain.kernel.errors import NotFound
from domain.kernel.permissions import Action
from ports.credentials import CredentialReader
from ports.workspaces import WorkspaceReader


@dataclass(slots=True, kw_only=True, frozen=True)
class GetCredentialQuery:
    actor_id: UUID
    workspace_id: UUID
    credential_id: UUID


class GetCredential:
    """One credential, masked by the caller. Rules: admin or owner; another workspace's is `NotFound`."""

    def __init__(self, workspaces: WorkspaceReader, credentials: CredentialReader) -> None:
        self._workspaces = workspaces
        self._credentials = credentials

    async def __call__(self, query: GetCredentialQuery) -> Credential:
        await authorize(self._workspaces, query.workspace_id, query.actor_id, Action.CREDENTIALS_MANAGE)
        credential = await self._credentials.get(query.workspace_id, query.credential_id)
        if credential is None:
            raise NotFound("credential not found")
        return credential
