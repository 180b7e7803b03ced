"""The event outbox: written inside a unit of work, read by whoever publishes."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.events import Event


class EventOutbox(Protocol):
    @abstractmethod
    async def add(self, events: list[Event]) -> None: ...


class EventReader(Protocol):
    @abstractmethod
    async def recent(self, workspace_id: UUID, limit: int) -> list[Event]:
        """The workspace's newest events first."""
