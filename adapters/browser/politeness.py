"""Per-host politeness: a few fetches at a time, and a pause between their starts.

    async with politeness.slot(host):
        ...  # one fetch

Rules:
- At most `per_domain` fetches to one host run at once; the others wait their turn.
- Two fetches to one host start at least `delay_seconds` apart (measured by `clock`, waited with `sleep`).
- Hosts are independent (compared lower-case). A host's state is kept only while a fetch holds or awaits its
  slot, or its next start is still delayed; idle hosts are swept, so memory follows the hosts in use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

_MIN_SWEEP = 64


@dataclass(slots=True)
class _Host:
    slots: asyncio.Semaphore
    starts: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # fetches holding or awaiting a slot
    next_start: float = float("-inf")


class Politeness:
    def __init__(
        self,
        per_domain: int = 2,
        delay_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if per_domain < 1:
            raise ValueError("per_domain must be at least 1")
        self._per_domain = per_domain
        self._delay = max(0.0, delay_seconds)
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}
        self._sweep_at = _MIN_SWEEP

    @property
    def tracked_hosts(self) -> int:
        """Hosts whose state is kept (for tests and metrics)."""
        return len(self._hosts)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        key = host.lower()
        state = self._hosts.get(key)
        if state is None:
            self._sweep()
            state = self._hosts[key] = _Host(slots=asyncio.Semaphore(self._per_domain))
        state.users += 1
        try:
            async with state.slots:
                async with state.starts:
                    wait = state.next_start - self._clock()
                    if wait > 0:
                        await self._sleep(wait)
                    state.next_start = self._clock() + self._delay
                yield
        finally:
            state.users -= 1
            if state.users == 0 and state.next_start <= self._clock() and self._hosts.get(key) is state:
                del self._hosts[key]

    def _sweep(self) -> None:
        """Drop idle hosts once the table has doubled since the last sweep (amortized O(1) per new host)."""
        if len(self._hosts) < self._sweep_at:
            return
        now = self._clock()
        for key in [k for k, s in self._hosts.items() if s.users == 0 and s.next_start <= now]:
            del self._hosts[key]
        self._sweep_at = max(_MIN_SWEEP, 2 * len(self._hosts))
