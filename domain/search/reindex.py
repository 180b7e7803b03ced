"""A rebuild of the search index from the records: its progress, and when it counts as abandoned.

A reindex copies every record into a new index beside the live one, applies what changed during the copy
(the outbox's events from where it began), makes the new index live at once and drops the old one. One runs
at a time; a run whose process died (no progress for `ABANDONED_AFTER`) no longer blocks the next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.kernel.errors import Conflict

ABANDONED_AFTER = timedelta(seconds=60)
ABANDONED = "abandoned: its process stopped"


class ReindexStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReindexPhase(StrEnum):
    COPYING = "copying"  # every record into the new index
    CATCHING_UP = "catching_up"  # the changes made during the copy
    SWAPPED = "swapped"  # the new index is live; what changed during the swap follows it
    DONE = "done"


class ReindexRunning(Conflict):
    """Another reindex is running: one at a time."""


@dataclass(slots=True, kw_only=True, frozen=True)
class Reindex:
    id: UUID
    status: ReindexStatus
    phase: ReindexPhase
    index: str | None  # the index being built (the live one once it is done); None until it is made
    total: int  # records when it began
    copied: int
    caught_up: int  # outbox events applied after the copy
    failed: int  # documents the new index refused
    error: str | None  # why it failed, or the last refused document's reason
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    requested_by: UUID | None = None  # None: the operator's command line

    @classmethod
    def begin(cls, reindex_id: UUID, total: int, now: datetime, by: UUID | None) -> Reindex:
        return cls(
            id=reindex_id, status=ReindexStatus.RUNNING, phase=ReindexPhase.COPYING, index=None, total=total,
            copied=0, caught_up=0, failed=0, error=None, started_at=now, updated_at=now, requested_by=by,
        )  # fmt: skip

    def abandoned(self, now: datetime) -> bool:
        return self.status is ReindexStatus.RUNNING and now - self.updated_at > ABANDONED_AFTER

    def building(self, index: str, now: datetime) -> Reindex:
        return replace(self, index=index, updated_at=now)

    def progressed(
        self, now: datetime, *, phase: ReindexPhase, copied: int = 0, caught_up: int = 0, refused: dict[UUID, str]
    ) -> Reindex:
        """`copied` and `caught_up` more, `refused` the documents the new index would not take."""
        return replace(
            self,
            phase=phase,
            copied=self.copied + copied,
            caught_up=self.caught_up + caught_up,
            failed=self.failed + len(refused),
            error=next(iter(refused.values()), self.error),
            updated_at=now,
        )

    def succeeded(self, now: datetime) -> Reindex:
        return replace(self, status=ReindexStatus.SUCCEEDED, phase=ReindexPhase.DONE, updated_at=now, finished_at=now)

    def failed_with(self, error: str, now: datetime) -> Reindex:
        return replace(self, status=ReindexStatus.FAILED, error=error[:2_000], updated_at=now, finished_at=now)

    @property
    def finished(self) -> bool:
        return self.status is not ReindexStatus.RUNNING
