"""Time, identifiers and randomness, injected so tests are deterministic."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID


class Clock(Protocol):
    @abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class IdGenerator(Protocol):
    @abstractmethod
    def new_id(self) -> UUID: ...


class Jitter(Protocol):
    @abstractmethod
    def fraction(self) -> float:
        """A random number in [0, 1), to spread retries."""
