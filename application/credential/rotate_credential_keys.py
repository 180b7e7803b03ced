from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

from application.key_rotation import MAX_BATCH_SIZE, RotationProgress, SealedRows, reseal_to_active_key
from domain.credentials.credential import Credential
from ports.credentials import CredentialReader
from ports.secret_box import SecretBox
from ports.unit_of_work import UnitOfWork

__all__ = ["MAX_BATCH_SIZE", "RotateCredentialKeys", "RotateCredentialKeysCommand", "RotationProgress"]


@dataclass(slots=True, kw_only=True, frozen=True)
class RotateCredentialKeysCommand:
    batch_size: int = 100
    on_progress: Callable[[RotationProgress], None] | None = field(default=None, compare=False)


class RotateCredentialKeys:
    """Re-encrypt every credential not sealed under the active key to the active key.

    Rules: those of `reseal_to_active_key`: batches of `batch_size` rows in
    id order, each in its own transaction with its rows locked, so an
    interrupted run keeps what it committed and a re-run picks up the rest;
    rows already under the active key are never touched (a second run
    re-encrypts nothing); a row that no configured key opens is left as it
    is and reported by id, never guessed at; progress is reported after
    every batch.
    """

    def __init__(self, uow: UnitOfWork, credentials: CredentialReader, box: SecretBox) -> None:
        self._uow = uow
        self._rows = _Credentials(credentials)
        self._box = box

    async def __call__(self, cmd: RotateCredentialKeysCommand) -> RotationProgress:
        return await reseal_to_active_key(
            self._uow, self._box, self._rows, batch_size=cmd.batch_size, on_progress=cmd.on_progress
        )


class _Credentials(SealedRows[Credential]):
    def __init__(self, reader: CredentialReader) -> None:
        self._reader = reader

    async def count_not_under_key(self, key_version: str) -> int:
        return await self._reader.count_not_under_key(key_version)

    async def lock_not_under_key(
        self, uow: UnitOfWork, key_version: str, *, after: UUID | None, limit: int
    ) -> list[Credential]:
        return await uow.credentials.list_not_under_key_for_update(key_version, after=after, limit=limit)

    def resealed(self, row: Credential, box: SecretBox) -> Credential:
        plaintext = box.open(row.sealed, context=row.context)
        return replace(row, sealed=box.seal(plaintext, context=row.context))

    async def save(self, uow: UnitOfWork, row: Credential) -> None:
        await uow.credentials.save(row)
