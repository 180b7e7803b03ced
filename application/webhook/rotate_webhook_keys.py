from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

from application.key_rotation import RotationProgress, SealedRows, reseal_to_active_key
from domain.webhooks.webhook import WebhookSubscription, secret_context
from ports.secret_box import SecretBox
from ports.system import Clock
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader


@dataclass(slots=True, kw_only=True, frozen=True)
class RotateWebhookKeysCommand:
    batch_size: int = 100
    on_progress: Callable[[RotationProgress], None] | None = field(default=None, compare=False)


class RotateWebhookKeys:
    """Re-encrypt the signing secrets of every webhook not wholly sealed under the active key to the active key.

    Rules: those of `reseal_to_active_key` (batches in id order, each in its
    own transaction with its rows locked; a second run re-encrypts nothing;
    unreadable webhooks are reported by id and left alone; progress after
    every batch). A webhook is rotated when its current secret and its
    previous one, if it still signs, are both sealed again under the active
    key; if either does not open, neither is touched. A previous secret past
    its expiry signs nothing any more: it is dropped, not opened. Nothing
    else changes: not the secrets themselves, their expiry, nor `updated_at`.
    """

    def __init__(self, uow: UnitOfWork, webhooks: WebhookReader, box: SecretBox, clock: Clock) -> None:
        self._uow = uow
        self._rows = _Webhooks(webhooks, clock)
        self._box = box

    async def __call__(self, cmd: RotateWebhookKeysCommand) -> RotationProgress:
        return await reseal_to_active_key(
            self._uow, self._box, self._rows, batch_size=cmd.batch_size, on_progress=cmd.on_progress
        )


class _Webhooks(SealedRows[WebhookSubscription]):
    def __init__(self, reader: WebhookReader, clock: Clock) -> None:
        self._reader = reader
        self._clock = clock

    async def count_not_under_key(self, key_version: str) -> int:
        return await self._reader.count_not_under_key(key_version)

    async def lock_not_under_key(
        self, uow: UnitOfWork, key_version: str, *, after: UUID | None, limit: int
    ) -> list[WebhookSubscription]:
        return await uow.webhooks.list_not_under_key_for_update(key_version, after=after, limit=limit)

    def resealed(self, row: WebhookSubscription, box: SecretBox) -> WebhookSubscription:
        context = secret_context(row.workspace_id, row.id)
        current = box.open(row.sealed_secret, context=context)
        signing = row.signing_secrets(self._clock.now())
        if len(signing) == 1:  # no previous secret, or one that expired: nothing to keep
            return replace(
                row,
                sealed_secret=box.seal(current, context=context),
                previous_secret=None,
                previous_secret_expires_at=None,
            )
        previous = box.open(signing[1], context=context)
        return replace(
            row,
            sealed_secret=box.seal(current, context=context),
            previous_secret=box.seal(previous, context=context),
        )

    async def save(self, uow: UnitOfWork, row: WebhookSubscription) -> None:
        await uow.webhooks.save(row)
