"""A clock the test moves by hand, for every adapter or use case that reads the time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

START = datetime(2025, 1, 1, tzinfo=UTC)


class ManualClock:
    """Time that passes only when the test says so, on two dials moved together.

    - `now()` is the wall clock of `ports.system.Clock`: a datetime, for the use cases.
    - Calling the clock reads monotonic seconds, for the `monotonic=` / `clock=` callables of the caches,
      rate limiters, circuit breakers and proxy managers.

    `advance` moves both dials by the same amount, given in seconds or as a timedelta; each dial adds it exactly
    (seconds to seconds, a timedelta to the datetime), so no reading drifts through a conversion. `sleep` is an
    `asyncio.sleep` (or a waterfall's `pause`) that passes at once: it advances the clock by what it was asked,
    notes it in `slept`, and lets other tasks run.
    """

    def __init__(self, now: datetime = START, *, seconds: float = 1_000.0) -> None:
        self._now = now
        self._seconds = seconds
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def __call__(self) -> float:
        return self._seconds

    def advance(self, by: float | timedelta) -> None:
        if isinstance(by, timedelta):
            self._now += by
            self._seconds += by.total_seconds()
        else:
            self._now += timedelta(seconds=by)
            self._seconds += by

    async def sleep(self, seconds: float) -> bool:
        """Always True: as a waterfall's `pause`, it never says stop."""
        self.slept.append(seconds)
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)
        return True
