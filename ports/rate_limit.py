from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True, kw_only=True, frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


class RateLimiter(Protocol):
    @abstractmethod
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        """Count one event for `key` in a sliding window and say if it is allowed."""
