from __future__ import annotations

import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class RedisOutage:
    """How a Redis adapter lives through an outage.

    After a failure it leaves Redis alone for `retry_seconds`: its fallback answers at once instead
    of every call waiting for its own timeout. It logs `<component>_degraded` on the first failure
    and then at most once per `log_every_seconds` (with the failures since), not once per call,
    and `<component>_recovered` when Redis answers again.
    """

    def __init__(
        self,
        component: str,
        *,
        retry_seconds: float = 1.0,
        log_every_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._component = component
        self._retry_seconds = retry_seconds
        self._log_every = log_every_seconds
        self._now = monotonic
        self._retry_at = 0.0
        self._next_log = 0.0
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._failures > 0

    def may_try(self) -> bool:
        return self._now() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        now = self._now()
        self._retry_at = now + self._retry_seconds
        self._failures += 1
        if now >= self._next_log:
            self._next_log = now + self._log_every
            log.warning(f"{self._component}_degraded", error=type(exc).__name__, failures=self._failures)

    def succeeded(self) -> None:
        if self._failures:
            log.info(f"{self._component}_recovered", failures=self._failures)
            self._failures = 0
            self._next_log = 0.0
