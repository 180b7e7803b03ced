from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from application.enrichment.pending_lookups import Pause, PendingLookups, sleep
from application.enrichment.provider_calls import ANSWERED, ProviderCalls
from application.enrichment.provider_keys import ProviderKeys
from domain.credits.ledger import CreditRequest, EntryKind
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import ProviderSpec
from domain.enrichment.schema import FieldValue, Outcome, ProviderResult
from domain.enrichment.waterfall import Attempt, accept, next_provider
from domain.records.record import Provenance, Record, RecordStatus
from ports.enrichment import CircuitBreaker, LookupCache, ProviderDirectory
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock

# Found values that let the next provider ask better questions.
FOUND_AS_INPUT = {
    "email": "email",
    "firstName": "firstName",
    "lastName": "lastName",
    "linkedinUrl": "linkedinUrl",
    "companyDomain": "domain",
    "domain": "domain",
    "name": "companyName",
}
# A record a provider answered, even if only "still working on it", was looked for: not found, not failed.
LOOKED_FOR = frozenset(outcome.value for outcome in (*ANSWERED, Outcome.PENDING))


@dataclass(slots=True)
class WaterfallResult:
    wanted: frozenset[str]
    had: frozenset[str] = frozenset()  # wanted fields the record already held
    found: dict[str, tuple[FieldValue, Provenance]] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    # What the run leaves to its caller: the charges owed and the fresh answers to cache once they are posted.
    owed: list[CreditRequest] = field(default_factory=list)
    fresh: list[tuple[str, ProviderResult]] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return sum(a.credits for a in self.attempts)

    def apply_to(self, record: Record, *, now: datetime) -> None:
        for name, (value, provenance) in self.found.items():
            record.fields[name] = value.value
            record.provenance[name] = provenance
        record.status = self.status()
        record.updated_at = now

    def status(self) -> RecordStatus:
        held = self.had | self.found.keys()
        if self.wanted <= held:
            return RecordStatus.ENRICHED
        if held:
            return RecordStatus.PARTIAL
        if any(a.outcome in LOOKED_FOR for a in self.attempts):
            return RecordStatus.NOT_FOUND
        return RecordStatus.FAILED


class WaterfallRun:
    """Runs the waterfall for one record (see domain/enrichment/waterfall.py) and says what it owes.

    It writes nothing: each billable call becomes a charge against the given reservation, under the key
    `<run>:<record>:<provider>` (a retried run never pays twice), and each fresh final answer one to cache;
    the caller posts the charges with what they bought and caches the answers once committed (Settlement).
    Without a reservation nothing billable is asked (there is nothing to pay with).
    A "pending" answer costs nothing and is not cached: the lookup is asked again with the run's `Patience`
    (waiting through `pause`), while the waterfall goes on for the fields it cannot answer (unless its answer
    may change the next question); its final answer is owed (once) and cached like any other, and every ask
    is an attempt. Of calls, metrics hear through ProviderCalls.
    """

    def __init__(
        self,
        directory: ProviderDirectory,
        keys: ProviderKeys,
        breaker: CircuitBreaker,
        cache: LookupCache,
        clock: Clock,
        freshness: timedelta,
        metrics: Metrics = NO_METRICS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory, self._clock = directory, clock
        self._calls = ProviderCalls(directory, keys, breaker, cache, clock, freshness, metrics)
        self._monotonic = monotonic

    def callable(self, order: list[ProviderSpec]) -> list[ProviderSpec]:
        """The providers of `order` this deployment can call (the scraper only if configured), in order."""
        return [spec for spec in order if self._directory.provider(spec.name) is not None]

    @staticmethod
    def ceiling(order: list[ProviderSpec], max_credits: int | None) -> int:
        """The most a run may spend: `max_credits`, or by default what every provider of `order` could cost."""
        return max_credits if max_credits is not None else sum(spec.credit_cost for spec in order)

    async def __call__(
        self,
        record: Record,
        wanted: frozenset[str],
        order: list[ProviderSpec],
        *,
        run_id: str,
        reservation: UUID | None,
        patience: Patience,
        max_credits: int | None = None,
        pause: Pause = sleep,
    ) -> WaterfallResult:
        """`pause` waits before a pending lookup is asked again; when it says stop, the run ends there."""
        order = self.callable(order)
        ceiling = self.ceiling(order, max_credits) if reservation is not None else 0
        missing = set(wanted - record.fields.keys())
        result = WaterfallResult(wanted=wanted, had=frozenset(wanted - missing))
        inputs, tried = dict(record.inputs), set[str]()
        waiting = PendingLookups(patience, self._monotonic)
        while missing:
            awaited = waiting.awaited()
            spec = None
            if not _would_ask_better(awaited, inputs):
                spec = next_provider(
                    order,
                    kind=record.kind,
                    inputs=inputs,
                    missing=missing - awaited,
                    tried=tried,
                    unavailable=set(),
                    credits_left=ceiling - result.credits - waiting.credits_held(),
                )
            if spec is not None:
                tried.add(spec.name)
                asked = await self._calls.ask(spec, record, inputs, missing)
            elif (due := waiting.next(missing)) is not None:
                wait, lookup = due
                if not await pause(wait):
                    break
                asked = await self._calls.ask_again(lookup)
            else:
                break
            waiting.add(asked)
            attempt = asked.attempt
            if attempt.credits and reservation is not None:
                result.owed.append(_charge(record, run_id, attempt.provider, attempt.credits, reservation))
            if asked.to_cache is not None:
                result.fresh.append(asked.to_cache)
            if (final := asked.final) is not None:
                kept = self._keep(final, attempt.provider, missing, inputs, result)
                attempt = replace(attempt, fields=tuple(sorted(kept)))
            result.attempts.append(attempt)
        return result

    def _keep(
        self,
        answer: ProviderResult,
        provider: str,
        missing: set[str],
        inputs: dict[str, str],
        result: WaterfallResult,
    ) -> dict[str, FieldValue]:
        """The answer's valid values for missing fields, now found; they feed the next questions."""
        kept = accept(answer.fields, missing)
        at = self._clock.now()
        for name, value in kept.items():
            result.found[name] = (value, Provenance(provider=provider, fetched_at=at, confidence=value.confidence))
            if (input_name := FOUND_AS_INPUT.get(name)) and isinstance(value.value, str):
                inputs.setdefault(input_name, value.value)
        missing.difference_update(kept)
        return kept


def _would_ask_better(awaited: frozenset[str], inputs: dict[str, str]) -> bool:
    """Whether a pending lookup's answer may add to what the next provider is asked: it is waited for first,
    so the next question is the one a repeat of the run (its answers cached) asks, and finds cached."""
    return any((name := FOUND_AS_INPUT.get(field)) and name not in inputs for field in awaited)


def _charge(record: Record, run_id: str, provider: str, amount: int, reservation: UUID) -> CreditRequest:
    return CreditRequest(
        workspace_id=record.workspace_id,
        kind=EntryKind.CHARGE,
        amount=amount,
        idempotency_key=f"{run_id}:{record.id}:{provider}",
        reason=f"{provider} lookup",
        reservation_id=reservation,
    )
