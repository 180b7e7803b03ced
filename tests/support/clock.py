"""A clock the test moves by hand, for every adapter or use case that reads the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 1, 1, tzinfo=UTC)


class ManualClock:
    """Time that passes only when the test says so, on two dials moved together.

    - `now()` is the wall clock of `ports.system.Clock`: a datetime, for the use cases.
    - Calling the clock reads monotonic seconds, for the `monotonic=` / `clock=` callables of the caches,
      rate limiters, circuit breakers and proxy managers.

    `advance` moves both dials by the same amount, given in seconds or as a timedelta; each dial adds it exactly
    (seconds to seconds, a timedelta to the datetime), so no reading drifts through a conversion.
    """

    def __init__(self, now: datetime = START, *, seconds: float = 1_000.0) -> None:
        self._now = now
        self._seconds = seconds

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
