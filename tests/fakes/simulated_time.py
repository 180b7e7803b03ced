"""Time that passes only when slept through: a waterfall's waits for pending answers, at once."""

from __future__ import annotations


class SimulatedTime:
    """`monotonic` for a WaterfallRun, and `sleep` as its `pause`."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> bool:
        self.seconds += max(seconds, 0.0)
        return True
