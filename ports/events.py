"""The event outbox: written inside a unit of work, read by whoever publishes."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.kernel.events import Event


class EventOutbox(Protocol):
    @abstractmethod
    async def add(self, events: list[Event]) -> None: ...

    @abstractmethod
    async def claim_unpublished(self, limit: int) -> list[Event]:
        """Up to `limit` events not published yet, oldest first, locked until the transaction ends; events
        another transaction holds are skipped (publishers run side by side without waiting)."""

    @abstractmethod
    async def mark_published(self, event_ids: list[UUID], at: datetime) -> None: ...


class EventRepositories(Protocol):
    """What a unit of work carries for the event outbox."""

    events: EventOutbox


class EventReader(Protocol):
    @abstractmethod
    async def recent(self, workspace_id: UUID, limit: int) -> list[Event]:
        """The workspace's newest events first."""
