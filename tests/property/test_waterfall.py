"""Waterfall properties over scripted providers, on the memory adapters.

Stops at the first valid value, never exceeds the per-record ceiling, never
charges a non-billable miss, a cache hit costs 0, a provider is paid at most
once per run however often a pending answer made it ask again, and the
ledger moves by exactly what the attempts say. Waits pass in simulated time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.providers.directory import ScriptedProvider
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import REGISTRY
from domain.enrichment.schema import PERSON_FIELDS, EntityKind, FieldValue, Outcome, ProviderResult, lookup_key
from domain.records.record import Record
from tests.support.builders.accounts import funded_workspace
from tests.support.clock import ManualClock
from tests.support.waterfall import PaidWaterfall

VALUES: dict[str, Any] = {
    "email": "ann@example.com",
    "emailStatus": "valid",
    "firstName": "Ann",
    "lastName": "Lee",
    "title": "CTO",
    "seniority": "c_suite",
    "department": "engineering",
    "phone": "+14155550100",
    "linkedinUrl": "https://www.linkedin.com/in/annlee",
    "twitter": "annlee",
    "location": {"city": "Austin", "region": "TX", "country": "US"},
    "companyDomain": "example.com",
}

outcomes = st.sampled_from(list(Outcome))
# Asks at 0, 1, 3 and 7 s: a provider pending for its first 4 asks is given up.
PATIENCE = Patience(deadline_seconds=10, first_wait_seconds=1, max_wait_seconds=4)
INPUTS = {"email": "ann@example.com", "firstName": "Ann", "lastName": "Lee", "domain": "example.com"}
pending_first = st.fixed_dictionaries({spec.name: st.integers(0, 4) for spec in REGISTRY})


@st.composite
def scripts(draw: st.DrawFn) -> dict[str, ProviderResult]:
    script = {}
    for spec in REGISTRY:
        if EntityKind.PERSON not in spec.supplies:
            continue  # the scraper reads companies only
        outcome = draw(outcomes)
        supplied = sorted(spec.supplies[EntityKind.PERSON])
        fields = draw(st.lists(st.sampled_from(supplied), unique=True)) if outcome is Outcome.HIT else []
        script[spec.name] = ProviderResult(outcome=outcome, fields={f: FieldValue(value=VALUES[f]) for f in fields})
    return script


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def scenario(
    script: dict[str, ProviderResult],
    pending: dict[str, int],
    wanted: frozenset[str],
    ceiling: int | None,
    repeat: bool,
) -> tuple[list[Any], Any, dict[str, int], int]:
    """The runs' results, the account, and the calls each provider took in the first run."""
    store = MemoryStore()
    clock, ids, time = SystemClock(), Uuid7Generator(), ManualClock()
    workspace = await funded_workspace(MemoryUnitOfWork(store), 100)
    providers = {name: ScriptedProvider(name, result, pending_first=pending[name]) for name, result in script.items()}
    waterfall = PaidWaterfall(store, providers, monotonic=time)
    now = clock.now()
    record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON, inputs=dict(INPUTS),
                    created_at=now, updated_at=now)  # fmt: skip
    order = list(REGISTRY)

    async def enrich(run_id: str) -> Any:
        return await waterfall(
            record, wanted, order, run_id=run_id, max_credits=ceiling, patience=PATIENCE, pause=time.sleep
        )

    results = [await enrich("run-1")]
    calls = {name: len(provider.calls) for name, provider in providers.items()}
    if repeat:
        results.append(await enrich("run-2"))
        answered = {a.provider for a in results[0].attempts if a.outcome in ("hit", "miss")}
        for name in answered:
            # The question run 1 got its answer to (its last call) is never asked again: run 2 reads it from the
            # cache. A different question may be asked: an earlier provider that stayed pending past run 1's
            # deadline can answer in run 2, and its values then feed the later questions.
            question = lookup_key(name, providers[name].calls[calls[name] - 1])
            asked_again = [q for q in providers[name].calls[calls[name] :] if lookup_key(name, q) == question]
            assert asked_again == [], "an answered lookup is never asked again"
            if all(n == 0 for n in pending.values()):
                assert len(providers[name].calls) == calls[name], "without pending answers, run 2 asks nobody"
    account = await MemoryCreditReader(store).account(workspace.id)
    return results, account, calls, 100


@settings(max_examples=150, deadline=None)
@given(
    script=scripts(),
    pending=pending_first,
    wanted=st.frozensets(st.sampled_from(PERSON_FIELDS), min_size=1),
    ceiling=st.none() | st.integers(min_value=0, max_value=4),
    repeat=st.booleans(),
)
def test_waterfall_properties(
    script: dict[str, ProviderResult],
    pending: dict[str, int],
    wanted: frozenset[str],
    ceiling: int | None,
    repeat: bool,
) -> None:
    results, account, calls, granted = run(scenario(script, pending, wanted, ceiling, repeat))
    first = results[0]
    by_name = {spec.name: spec for spec in REGISTRY}

    # never over the ceiling, and the ledger moved by exactly what the attempts cost
    assert all(r.credits <= (ceiling if ceiling is not None else 4) for r in results)
    assert account.balance == granted - sum(r.credits for r in results)
    assert account.reserved == 0, "every reservation is released"

    for attempt in first.attempts:
        spec = by_name[attempt.provider]
        # a miss on a provider that does not bill misses costs nothing; only hits and billable misses cost
        expected = 0 if attempt.outcome == "skipped" else spec.credits_for(Outcome(attempt.outcome))
        assert attempt.credits == expected
        if attempt.outcome == Outcome.MISS.value and not spec.miss_billable:
            assert attempt.credits == 0
    for result in results:
        paid = [a.provider for a in result.attempts if a.credits]
        assert len(paid) == len(set(paid)), "a provider is paid at most once per run"
    # a pending lookup is asked at most 4 times (0, 1, 3 and 7 s, within the 10 s deadline)
    assert all(n <= 4 for n in calls.values())

    # stops at the first valid value: once every wanted field is found, nobody else is asked
    if first.wanted <= first.found.keys():
        last_useful = max(i for i, a in enumerate(first.attempts) if a.fields)
        assert last_useful == len(first.attempts) - 1
    # a field comes from the first provider (in order) that had it; one still working on it (pending) was
    # either given up, or waited for only for what it is asked (so a by-product may come from a later one)
    hits = {a.provider for a in first.attempts if a.outcome == "hit"}
    waited = {a.provider for a in first.attempts if a.outcome == "pending"}
    for name, (_, provenance) in first.found.items():
        asked = [a.provider for a in first.attempts]
        for p in asked[: asked.index(provenance.provider)]:
            if script[p].outcome is Outcome.HIT and name in script[p].fields:
                assert p in waited
                assert p not in hits or name not in by_name[p].offers(EntityKind.PERSON, INPUTS)

    if len(results) == 2:
        # the same lookups again: answered from the cache, for 0 credits
        second = results[1]
        assert all(a.credits == 0 for a in second.attempts if a.cached)
        answered_first = {a.provider for a in first.attempts if a.outcome in ("hit", "miss")}
        assert {a.provider for a in second.attempts if a.cached} <= answered_first
