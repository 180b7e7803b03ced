from __future__ import annotations

from uuid import UUID

from ports.credentials import CredentialReader
from ports.enrichment import ProviderDirectory
from ports.secret_box import SecretBox


class ProviderKeys:
    """The key a workspace calls a provider with: its own credential, decrypted
    only now, or else the platform's key; None means the provider is unavailable."""

    def __init__(self, credentials: CredentialReader, box: SecretBox, directory: ProviderDirectory) -> None:
        self._credentials = credentials
        self._box = box
        self._directory = directory

    async def key_for(self, workspace_id: UUID, provider: str) -> str | None:
        credential = await self._credentials.newest_for_provider(workspace_id, provider)
        if credential is not None:
            return self._box.open(credential.sealed, context=credential.context)
        return self._directory.platform_key(provider)
