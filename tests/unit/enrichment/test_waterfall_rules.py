"""The waterfall's safety rules, on the memory adapters with scripted providers."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.enrichment import MemoryCircuitBreaker
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.providers.directory import ScriptedProvider
from adapters.providers.http import guarded
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import BY_NAME
from domain.enrichment.schema import EntityKind, FieldValue, Outcome, ProviderQuery, ProviderResult, storable
from domain.records.record import Record, RecordStatus
from tests.support.builders.accounts import funded_workspace
from tests.support.waterfall import PaidWaterfall

ASK_ONCE = Patience(deadline_seconds=0)  # a pending answer is final: these rules are not about waiting


class ExplodingProvider:
    name = "apollo"

    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        raise OverflowError("integer division result too large for a float")


async def world(providers: dict[str, Any]) -> tuple[PaidWaterfall, Record, MemoryStore, MemoryCircuitBreaker]:
    store, clock, ids = MemoryStore(), SystemClock(), Uuid7Generator()
    workspace = await funded_workspace(MemoryUnitOfWork(store), 10)
    run = PaidWaterfall(store, providers)
    now = clock.now()
    record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON,
                    inputs={"email": "ann@example.com"}, created_at=now, updated_at=now)  # fmt: skip
    return run, record, store, run.breaker


def test_storable_drops_values_with_control_characters() -> None:
    fields = {
        "title": FieldValue(value="C\x00TO"),
        "firstName": FieldValue(value="Ann"),
        "technologies": FieldValue(value=["React", "Vue\x00"]),
        "location": FieldValue(value={"city": "Austin\x07"}),
    }
    assert storable(fields) == {"firstName": FieldValue(value="Ann")}


async def test_a_provider_that_raises_still_answers_its_probe_and_releases_the_credits() -> None:
    run, record, store, breaker = await world({"apollo": ExplodingProvider()})
    with pytest.raises(OverflowError):
        await run(record, frozenset({"title"}), [BY_NAME["apollo"]], run_id="r", max_credits=None, patience=ASK_ONCE)
    view = await breaker.snapshot("apollo")
    assert (view.calls, view.failures) == (1, 1)
    account = await MemoryCreditReader(store).account(record.workspace_id)
    assert (account.balance, account.reserved) == (10, 0), "nothing charged, the reservation released"


async def test_the_adapters_guard_turns_any_surprise_into_a_transient_outcome() -> None:
    async def surprise() -> ProviderResult:
        raise OverflowError("secret-key-123 integer division result too large")

    result = await guarded(surprise(), "secret-key-123")
    assert result.outcome is Outcome.TRANSIENT
    assert "secret-key-123" not in result.detail


async def test_a_nul_in_an_answer_is_never_kept() -> None:
    hit = ProviderResult(outcome=Outcome.HIT, fields={"title": FieldValue(value="C\x00TO")})
    run, record, _, _ = await world({"apollo": ScriptedProvider("apollo", hit)})
    result = await run(
        record, frozenset({"title"}), [BY_NAME["apollo"]], run_id="r", max_credits=None, patience=ASK_ONCE
    )
    assert result.found == {}
    assert result.attempts[0].outcome == "hit"


async def test_fields_the_record_already_has_are_not_paid_for_again() -> None:
    provider = ScriptedProvider("apollo", ProviderResult(outcome=Outcome.HIT))
    run, record, store, _ = await world({"apollo": provider})
    record.fields["title"] = "CTO"
    result = await run(
        record, frozenset({"title"}), [BY_NAME["apollo"]], run_id="r", max_credits=None, patience=ASK_ONCE
    )
    assert result.status() is RecordStatus.ENRICHED
    assert provider.calls == []
    assert (await MemoryCreditReader(store).account(record.workspace_id)).balance == 10


async def test_hunter_with_only_an_email_is_asked_only_for_the_email_status() -> None:
    hunter = BY_NAME["hunter"]
    assert hunter.offers(EntityKind.PERSON, {"email": "ann@example.com"}) == {"email", "emailStatus"}
    named = {"firstName": "Ann", "lastName": "Lee", "domain": "example.com"}
    assert "title" in hunter.offers(EntityKind.PERSON, named)
