"""Provider credentials: a workspace's sealed API keys, checked against their provider, re-sealed on key rotation."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from adapters.memory.credentials import MemoryCredentialReader
from adapters.postgres.credentials import PostgresCredentialReader
from application.credential.create_credential import CreateCredential
from application.credential.delete_credential import DeleteCredential
from application.credential.get_credential import GetCredential
from application.credential.list_credentials import ListCredentials
from application.credential.rotate_credential_keys import RotateCredentialKeys
from application.credential.update_credential import UpdateCredential
from application.credential.verify_credential import VerifyCredential
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.credentials import CredentialReader


class CredentialsWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(
        CreateCredential,
        ListCredentials,
        GetCredential,
        UpdateCredential,
        DeleteCredential,
        RotateCredentialKeys,
        VerifyCredential,
    )

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(
            self, topology, CredentialReader, memory=MemoryCredentialReader, postgres=PostgresCredentialReader
        )
