"""The lookups of one waterfall run that a provider answered "pending", each waiting to be asked again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from application.enrichment.provider_calls import Asked, Lookup
from domain.enrichment.pending import Patience
from domain.enrichment.schema import Outcome

# Waits the given seconds before a pending lookup is asked again; False: stop asking (the job was cancelled).
Pause = Callable[[float], Awaitable[bool]]


async def sleep(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


class PendingLookups:
    """Each lookup is due again after its wait (see domain/enrichment/pending.py); one that would be due past the
    deadline is given up. While waiting, a lookup holds the fields it may answer (later providers are not
    asked for them meanwhile) and its price (the ceiling keeps room to pay its final answer)."""

    def __init__(self, patience: Patience, monotonic: Callable[[], float]) -> None:
        self._patience, self._monotonic = patience, monotonic
        self._deadline = monotonic() + patience.deadline_seconds
        self._waiting: list[tuple[float, Lookup]] = []  # (due, lookup)

    def add(self, asked: Asked) -> None:
        """Wait to ask it again, if the provider was called and answered "pending"."""
        lookup, answer = asked.lookup, asked.answer
        if lookup is None or answer is None or answer.outcome is not Outcome.PENDING:
            return
        due = self._monotonic() + self._patience.wait(lookup.asks, answer.retry_after_seconds)
        if due <= self._deadline:
            self._waiting.append((due, lookup))

    def awaited(self) -> frozenset[str]:
        """The fields the waiting lookups may still answer."""
        return frozenset().union(*(_offers(lookup) for _, lookup in self._waiting))

    def credits_held(self) -> int:
        return sum(lookup.spec.credit_cost for _, lookup in self._waiting)

    def next(self, missing: set[str]) -> tuple[float, Lookup] | None:
        """The lookup due first, taken out, and the seconds until it is due; lookups that can answer
        nothing still missing are dropped."""
        self._waiting = [(due, lookup) for due, lookup in self._waiting if _offers(lookup) & missing]
        if not self._waiting:
            return None
        first = min(self._waiting, key=lambda waiting: waiting[0])
        self._waiting.remove(first)
        return max(first[0] - self._monotonic(), 0.0), first[1]


def _offers(lookup: Lookup) -> frozenset[str]:
    return lookup.spec.offers(lookup.query.kind, lookup.query.inputs)
