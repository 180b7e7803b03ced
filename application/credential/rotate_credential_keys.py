from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from domain.errors import ErrorDetail, SecretUnreadable, ValidationFailed
from ports.credentials import CredentialReader
from ports.secret_box import SecretBox
from ports.unit_of_work import UnitOfWork

MAX_BATCH_SIZE = 10_000


@dataclass(slots=True, kw_only=True, frozen=True)
class RotationProgress:
    """`total` rows were under old keys at the start; `rotated` of them are now under `key_version`."""

    key_version: str
    total: int
    rotated: int = 0
    unreadable: tuple[UUID, ...] = ()

    @property
    def done(self) -> int:
        return self.rotated + len(self.unreadable)


@dataclass(slots=True, kw_only=True, frozen=True)
class RotateCredentialKeysCommand:
    batch_size: int = 100
    on_progress: Callable[[RotationProgress], None] | None = field(default=None, compare=False)


class RotateCredentialKeys:
    """Re-encrypt every credential not sealed under the active key to the active key.

    Rules: batches of `batch_size` rows in id order, each in its own
    transaction with its rows locked, so an interrupted run keeps what it
    committed and a re-run picks up the rest; rows already under the active
    key are never touched (a second run re-encrypts nothing); a row that no
    configured key opens is left as it is and reported by id, never guessed
    at; progress is reported after every batch.
    """

    def __init__(self, uow: UnitOfWork, credentials: CredentialReader, box: SecretBox) -> None:
        self._uow = uow
        self._credentials = credentials
        self._box = box

    async def __call__(self, cmd: RotateCredentialKeysCommand) -> RotationProgress:
        if not 1 <= cmd.batch_size <= MAX_BATCH_SIZE:
            raise ValidationFailed(
                f"batch size must be between 1 and {MAX_BATCH_SIZE}",
                details=(ErrorDetail(field="batch_size", message="out of range"),),
            )
        active = self._box.active_key_version
        progress = RotationProgress(key_version=active, total=await self._credentials.count_not_under_key(active))
        report = cmd.on_progress or (lambda _: None)
        report(progress)
        after: UUID | None = None
        while True:
            async with self._uow as uow:
                batch = await uow.credentials.list_not_under_key_for_update(active, after=after, limit=cmd.batch_size)
                if not batch:
                    return progress
                rotated, unreadable = 0, list(progress.unreadable)
                for credential in batch:
                    try:
                        plaintext = self._box.open(credential.sealed, context=credential.context)
                    except SecretUnreadable:
                        unreadable.append(credential.id)
                        continue
                    credential.sealed = self._box.seal(plaintext, context=credential.context)
                    await uow.credentials.save(credential)
                    rotated += 1
                await uow.commit()
            after = batch[-1].id
            progress = RotationProgress(
                key_version=active,
                total=max(progress.total, progress.done + len(batch)),
                rotated=progress.rotated + rotated,
                unreadable=tuple(unreadable),
            )
            report(progress)
