"""Re-encrypting secrets at rest to the active key: the batch loop every kind of sealed row shares."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from domain.kernel.errors import ErrorDetail, SecretUnreadable, ValidationFailed
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


class Identified(Protocol):
    @property
    def id(self) -> UUID: ...


Row = TypeVar("Row", bound=Identified)


class SealedRows(Protocol[Row]):
    """One kind of row holding secrets sealed with the box: how to find, re-seal and store them."""

    @abstractmethod
    async def count_not_under_key(self, key_version: str) -> int:
        """How many rows, in every workspace, hold a secret sealed under another key."""

    @abstractmethod
    async def lock_not_under_key(
        self, uow: UnitOfWork, key_version: str, *, after: UUID | None, limit: int
    ) -> list[Row]:
        """Up to `limit` such rows with ids above `after`, in id order, held until `uow` ends."""

    @abstractmethod
    def resealed(self, row: Row, box: SecretBox) -> Row:
        """The row with every secret it holds sealed again under the active key, and nothing else changed;
        `SecretUnreadable` if any of them does not open."""

    @abstractmethod
    async def save(self, uow: UnitOfWork, row: Row) -> None: ...


def check_batch_size(batch_size: int) -> None:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValidationFailed(
            f"batch size must be between 1 and {MAX_BATCH_SIZE}",
            details=(ErrorDetail(field="batch_size", message="out of range"),),
        )


async def reseal_to_active_key(
    uow: UnitOfWork,
    box: SecretBox,
    rows: SealedRows[Row],
    *,
    batch_size: int,
    on_progress: Callable[[RotationProgress], None] | None = None,
) -> RotationProgress:
    """Re-encrypt every row not wholly sealed under the active key to the active key.

    Rules: batches of `batch_size` rows in id order, each in its own
    transaction with its rows locked, so an interrupted run keeps what it
    committed and a re-run picks up the rest; rows already under the active
    key are never touched (a second run re-encrypts nothing); a row that no
    configured key opens is left as it is and reported by id, never guessed
    at; progress is reported before the first batch and after every batch.
    """
    check_batch_size(batch_size)
    active = box.active_key_version
    progress = RotationProgress(key_version=active, total=await rows.count_not_under_key(active))
    report = on_progress or (lambda _: None)
    report(progress)
    after: UUID | None = None
    while True:
        async with uow as tx:
            batch = await rows.lock_not_under_key(tx, active, after=after, limit=batch_size)
            if not batch:
                return progress
            rotated, unreadable = 0, list(progress.unreadable)
            for row in batch:
                try:
                    resealed = rows.resealed(row, box)
                except SecretUnreadable:
                    unreadable.append(row.id)
                    continue
                await rows.save(tx, resealed)
                rotated += 1
            await tx.commit()
        after = batch[-1].id
        progress = RotationProgress(
            key_version=active,
            total=max(progress.total, progress.done + len(batch)),
            rotated=progress.rotated + rotated,
            unreadable=tuple(unreadable),
        )
        report(progress)
