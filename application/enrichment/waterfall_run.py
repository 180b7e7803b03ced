from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

import structlog

from application.credit.low_credits import alert_if_low
from application.enrichment.pending_lookups import Pause, PendingLookups, sleep
from application.enrichment.provider_calls import ANSWERED, Asked, ProviderCalls
from application.enrichment.provider_keys import ProviderKeys
from domain.credits.ledger import NEVER_LOW, CreditRequest, EntryKind, LedgerEntry, LowCreditPolicy, available_before
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import ProviderSpec
from domain.enrichment.schema import FieldValue, Outcome, ProviderResult
from domain.enrichment.waterfall import Attempt, accept, next_provider
from domain.kernel.errors import DomainError
from domain.records.record import Provenance, Record, RecordStatus
from ports.enrichment import CircuitBreaker, LookupCache, ProviderDirectory
from ports.metrics import NO_METRICS, Metrics
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork

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
log = structlog.get_logger("cascade.enrichment")


@dataclass(slots=True)
class WaterfallResult:
    wanted: frozenset[str]
    had: frozenset[str] = frozenset()  # wanted fields the record already held
    found: dict[str, tuple[FieldValue, Provenance]] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    # A job's run leaves paying to its caller: the charges owed and the fresh answers to cache once paid.
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
    """Runs the waterfall for one record, paying as it goes (see domain/enrichment/waterfall.py).

    Credits: the ceiling is reserved first, each billable call is charged
    against the reservation under the key `<run>:<record>:<provider>` (a
    retried run never pays twice), and the rest is released at the end.
    Given a job's reservation instead, it neither reserves nor pays: the
    result lists the charges owed and the answers to cache, and the caller
    posts them in the transaction that saves the record (`settle`), then
    caches (`remember`).
    A "pending" answer costs nothing and is not cached: the lookup is asked
    again with the run's `Patience` (waiting through `pause`), while the
    waterfall goes on for the fields it cannot answer (unless its answer may
    change the next question); its final answer is charged (once) and cached
    like any other, and every ask is an attempt.
    Metrics hear of credits once their entry is committed (`settle`'s caller
    counts those); of calls, see ProviderCalls.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        directory: ProviderDirectory,
        keys: ProviderKeys,
        breaker: CircuitBreaker,
        cache: LookupCache,
        clock: Clock,
        ids: IdGenerator,
        freshness: timedelta,
        low_credits: LowCreditPolicy = NEVER_LOW,
        metrics: Metrics = NO_METRICS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow, self._directory, self._cache, self._clock, self._ids = uow, directory, cache, clock, ids
        self._calls = ProviderCalls(directory, keys, breaker, cache, clock, freshness, metrics)
        self._low_credits = low_credits
        self._metrics = metrics
        self._monotonic = monotonic

    async def __call__(
        self,
        record: Record,
        wanted: frozenset[str],
        order: list[ProviderSpec],
        *,
        run_id: str,
        max_credits: int | None,
        patience: Patience,
        reservation: UUID | None = None,
        pause: Pause = sleep,
    ) -> WaterfallResult:
        """With `reservation` (a job's), calls are charged against it and nothing is reserved or released here.
        `pause` waits before a pending lookup is asked again; when it says stop, the run ends there."""
        # a provider this deployment has no adapter for (the scraper, unless configured) is not in the waterfall
        order = [spec for spec in order if self._directory.provider(spec.name) is not None]
        ceiling = max_credits if max_credits is not None else sum(spec.credit_cost for spec in order)
        missing = set(wanted - record.fields.keys())
        result = WaterfallResult(wanted=wanted, had=frozenset(wanted - missing))
        owned = reservation is None and ceiling > 0 and bool(missing)
        before: int | None = None  # what was available before this run's reservation, for `credits.low`
        if owned:
            reservation, before = await self._reserve(record, run_id, ceiling)
        inputs, tried = dict(record.inputs), set[str]()
        waiting = PendingLookups(patience, self._monotonic)
        try:
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
                attempt = await self._pay(asked, record, run_id, reservation, owned, result)
                if (final := asked.final) is not None:
                    kept = self._keep(final, attempt.provider, missing, inputs, result)
                    attempt = replace(attempt, fields=tuple(sorted(kept)))
                result.attempts.append(attempt)
        finally:
            if owned and reservation is not None:
                await self._release(record, run_id, reservation, before)
        return result

    async def _pay(
        self, asked: Asked, record: Record, run_id: str, reservation: UUID | None, owned: bool, result: WaterfallResult
    ) -> Attempt:
        """Charge what the attempt costs and cache a fresh final answer: now (owned), or left to the job."""
        attempt = asked.attempt
        if attempt.credits and reservation is not None:
            charge = _charge(record, run_id, attempt.provider, attempt.credits, reservation)
            if owned:
                await self._post(charge)
            else:
                result.owed.append(charge)
        if (fresh := asked.to_cache) is not None:
            # Cached only once paid for: a run that dies between the call and the charge asks
            # again when retried (and pays once, under the same key), never reads it back for free.
            if owned:
                await self._cache.put(record.workspace_id, *fresh, self._clock.now())
            else:
                result.fresh.append(fresh)
        return attempt

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

    async def _release(self, record: Record, run_id: str, reservation: UUID, before: int | None) -> None:
        """Give back what the run did not spend. If that fails (the database is down), the
        run's own error stays the one reported; `cascade credits release-stale` frees it later."""
        request = CreditRequest(
            workspace_id=record.workspace_id,
            kind=EntryKind.RELEASE,
            amount=0,
            idempotency_key=f"{run_id}:{record.id}:release",
            reason="enrichment done",
            reservation_id=reservation,
        )
        try:
            await self._post(request, low_since=before)
        except (DomainError, OSError) as exc:
            log.warning("reservation_not_released", reservation_id=str(reservation), error=type(exc).__name__)

    async def _reserve(self, record: Record, run_id: str, amount: int) -> tuple[UUID, int | None]:
        """The reservation, and what was available before it (None if the key was replayed)."""
        # Named by the run, so a retried run replays its reservation instead of conflicting with it.
        reservation_id = uuid.uuid5(record.workspace_id, f"{run_id}:{record.id}")
        request = CreditRequest(
            workspace_id=record.workspace_id,
            kind=EntryKind.RESERVE,
            amount=amount,
            idempotency_key=f"{run_id}:{record.id}:reserve",
            reason="enrichment",
            reservation_id=reservation_id,
        )
        entry, fresh = await self._post(request)
        return reservation_id, available_before(entry) if fresh else None

    async def settle(self, uow: UnitOfWork, results: list[WaterfallResult]) -> list[LedgerEntry]:
        """Post what a job's runs owe, inside the caller's unit of work; the entries posted now (not replays)."""
        owed = [charge for result in results for charge in result.owed]
        if not owed:
            return []
        ids = [self._ids.new_id() for _ in owed]
        entries = await uow.credits.post_many(owed, entry_ids=ids, at=self._clock.now())
        return [entry for entry, entry_id in zip(entries, ids, strict=True) if entry.id == entry_id]

    async def remember(self, workspace_id: UUID, results: list[WaterfallResult]) -> None:
        """Cache the fresh answers of a job's runs, once their `settle` is committed."""
        answers = [fresh for result in results for fresh in result.fresh]
        if answers:
            await self._cache.put_many(workspace_id, answers, self._clock.now())

    async def _post(self, request: CreditRequest, *, low_since: int | None = None) -> tuple[LedgerEntry, bool]:
        """The entry, and whether it was posted now (not a replay). With `low_since`, `credits.low` is judged
        from that amount available to what is available after this entry."""
        entry_id = self._ids.new_id()
        async with self._uow as uow:
            entry = await uow.credits.post(request, entry_id=entry_id, at=self._clock.now())
            fresh = entry.id == entry_id
            if fresh and low_since is not None:
                await alert_if_low(uow, self._low_credits, self._ids, entry, before=low_since)
            await uow.commit()
        if fresh:
            self._metrics.credits_moved(entry.kind, entry.amount)
        return entry, fresh


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
