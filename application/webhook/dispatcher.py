"""The loop that publishes the event outbox and delivers webhooks.

A publisher turns outbox events into deliveries. Deliveries run as a
pipeline: a claimer keeps up to `concurrency` attempts in flight, claiming
due deliveries in batches as slots free up; each attempt frees its slot as
soon as the receiver answers, and a recorder saves finished attempts in
group transactions. An idle claimer waits `poll_seconds`, or less when the
publisher made deliveries. Infrastructure errors (the database blinking)
are logged and the step is tried again: nothing is lost, because the outbox
and the deliveries live in the database and a claimed delivery comes back
when its lease ends.

It runs inside the Temporal activity `dispatch_webhooks` on workers, or as a
background task of the API when there is no Temporal. Each step is a unit of
work of its own (`DispatchSteps`, provided by the composition root).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import abstractmethod
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import structlog

from application.webhook.deliver_due_webhooks import Attempted, Claimed, DeliveryRound
from domain.kernel.errors import DomainError

log = structlog.get_logger("cascade.webhooks")
PUBLISH_BATCH = 500
RECORD_GROUP = 128  # attempts saved per transaction, at most
T = TypeVar("T")


@dataclass(slots=True, kw_only=True, frozen=True)
class DispatchTuning:
    concurrency: int = 16
    poll_seconds: float = 1.0

    @property
    def claim_batch(self) -> int:
        """Claim when this many slots are free (or all are): few claims, slots kept busy."""
        return max(1, self.concurrency // 4)


class DispatchSteps(Protocol):
    @abstractmethod
    async def publish(self, limit: int) -> int:
        """Turn up to `limit` outbox events into deliveries; how many events."""

    @abstractmethod
    async def claim(self, limit: int) -> list[Claimed]: ...

    @abstractmethod
    async def attempt(self, claimed: Claimed) -> Attempted | None: ...

    @abstractmethod
    async def record(self, results: list[Attempted]) -> DeliveryRound: ...


class WebhookDispatcher:
    def __init__(self, steps: DispatchSteps, tuning: DispatchTuning) -> None:
        self._steps = steps
        self.tuning = tuning
        self._published = asyncio.Event()
        self._background: asyncio.Task[None] | None = None

    async def run(self, *, seconds: float | None = None, beat: asyncio.Event | None = None) -> None:
        """Publish and deliver until cancelled, or for `seconds` (then finish what is in flight). Each step
        sets `beat` (for heartbeats)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        await asyncio.gather(self._publisher(deadline, beat), _Deliveries(self, deadline, beat).run())

    def start_background(self) -> None:
        """Run in this process until `stop` (the API without Temporal)."""
        if self._background is None:
            self._background = asyncio.create_task(self.run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        task, self._background = self._background, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _publisher(self, deadline: float | None, beat: asyncio.Event | None) -> None:
        while not _past(deadline):
            published = await self.guarded(self._publish(), 0)
            if beat is not None:
                beat.set()
            if published:
                self._published.set()
            if published < PUBLISH_BATCH:
                await asyncio.sleep(self.tuning.poll_seconds)

    async def _publish(self) -> int:
        return await self._steps.publish(PUBLISH_BATCH)

    async def until_published(self) -> None:
        """Wait for the publisher's next deliveries, at most `poll_seconds`."""
        self._published.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._published.wait(), self.tuning.poll_seconds)

    async def claim(self, limit: int) -> list[Claimed]:
        return await self._steps.claim(limit)

    async def attempt(self, claimed: Claimed) -> Attempted | None:
        return await self._steps.attempt(claimed)

    async def record(self, results: list[Attempted]) -> int:
        _log(await self._steps.record(results))
        return len(results)

    async def guarded(self, step: Awaitable[T], fallback: T) -> T:
        try:
            return await step
        except (DomainError, OSError) as exc:
            log.warning("webhook_step_failed", error=str(exc))
            await asyncio.sleep(self.tuning.poll_seconds)
            return fallback


class _Deliveries:
    """One run of the delivery pipeline: claimer, attempts, recorder."""

    def __init__(self, dispatcher: WebhookDispatcher, deadline: float | None, beat: asyncio.Event | None) -> None:
        self._d, self._deadline, self._beat = dispatcher, deadline, beat
        self._in_flight = 0
        self._freed = asyncio.Event()
        self._finished: asyncio.Queue[Attempted | None] = asyncio.Queue()
        self._attempts: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        recorder = asyncio.create_task(self._recorder())
        try:
            await self._claimer()
            if self._attempts:
                await asyncio.gather(*self._attempts)  # the run ends: let what is in flight finish
        finally:
            for task in self._attempts:
                task.cancel()
            await self._finished.put(None)
            await recorder

    async def _claimer(self) -> None:
        limit = self._d.tuning.concurrency
        while not _past(self._deadline):
            free = limit - self._in_flight
            if free < min(self._d.tuning.claim_batch, limit) and self._in_flight:
                self._freed.clear()
                await self._freed.wait()
                continue
            none: list[Claimed] = []
            claimed = await self._d.guarded(self._d.claim(free), none)
            if self._beat is not None:
                self._beat.set()
            for one in claimed:
                self._in_flight += 1
                task = asyncio.create_task(self._attempt(one))
                self._attempts.add(task)
                task.add_done_callback(self._attempts.discard)
            if not claimed:
                await self._d.until_published()

    async def _attempt(self, claimed: Claimed) -> None:
        try:
            result = await self._d.guarded(self._d.attempt(claimed), None)
        finally:
            self._in_flight -= 1
            self._freed.set()
        if result is not None:
            await self._finished.put(result)

    async def _recorder(self) -> None:
        done = False
        while not done:
            first = await self._finished.get()
            group: list[Attempted] = [] if first is None else [first]
            done = first is None
            while not done and len(group) < RECORD_GROUP and not self._finished.empty():
                following = self._finished.get_nowait()
                if following is None:
                    done = True
                else:
                    group.append(following)
            if group:
                # An error here leaves the group's deliveries leased: they are tried again when the leases end.
                await self._d.guarded(self._d.record(group), 0)
                if self._beat is not None:
                    self._beat.set()


def _log(outcome: DeliveryRound) -> None:
    for failed in outcome.failures:  # never the body, the URL or a secret
        log.warning(
            "security_event",
            kind="webhook_failure",
            webhook_id=str(failed.subscription_id),
            delivery_id=str(failed.id),
            status=failed.status.value,
            attempts=failed.attempts,
            response_status=failed.last_status_code,
            error=failed.last_error,
        )
    for webhook_id in outcome.disabled:
        log.warning("webhook_disabled", webhook_id=str(webhook_id))


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline
