from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True, kw_only=True, frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


@dataclass(slots=True, kw_only=True, frozen=True)
class Hit:
    key: str
    limit: int
    window_seconds: int


class RateLimiter(Protocol):
    @abstractmethod
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        """Count one event for `key` in a sliding window and say if it is allowed."""

    @abstractmethod
    async def hit_in_order(self, hits: Sequence[Hit]) -> list[RateDecision]:
        """`hit` each in turn, stopping after the first refused (the ones after it are not counted): the
        decisions up to and including that one. One round trip where the limiter is shared."""
