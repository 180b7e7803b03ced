"""A record enriched on its own is settled the way a job's records are: its charges are posted with what
they bought, or not at all, and its answers cached only once that is committed."""

from __future__ import annotations

import pytest

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.providers.directory import ScriptedProvider
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.enrichment.waterfall_run import WaterfallResult
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import BY_NAME
from domain.enrichment.schema import EntityKind, FieldValue, Outcome, ProviderResult
from domain.records.record import Record
from ports.unit_of_work import UnitOfWork
from tests.support.builders.accounts import funded_workspace
from tests.support.waterfall import PaidWaterfall

GRANTED = 10
WANTED = frozenset({"title"})
ASK_ONCE = Patience(deadline_seconds=0)


class SaveFailed(Exception):
    pass


async def failing_save(uow: UnitOfWork, result: WaterfallResult) -> None:
    raise SaveFailed


async def kept_save(uow: UnitOfWork, result: WaterfallResult) -> str:
    return "kept"


async def world() -> tuple[PaidWaterfall, ScriptedProvider, Record, MemoryStore]:
    store, clock, ids = MemoryStore(), SystemClock(), Uuid7Generator()
    workspace = await funded_workspace(MemoryUnitOfWork(store), GRANTED)
    apollo = ScriptedProvider("apollo", ProviderResult(outcome=Outcome.HIT, fields={"title": FieldValue(value="CTO")}))
    now = clock.now()
    record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON,
                    inputs={"email": "ann@example.com"}, created_at=now, updated_at=now)  # fmt: skip
    return PaidWaterfall(store, {"apollo": apollo}), apollo, record, store


async def test_a_run_whose_save_fails_is_charged_nothing_caches_nothing_and_gives_its_reservation_back() -> None:
    waterfall, apollo, record, store = await world()
    order = [BY_NAME["apollo"]]

    with pytest.raises(SaveFailed):
        await waterfall.paid(record, WANTED, order, run_id="r1", max_credits=None, patience=ASK_ONCE,
                             save=failing_save)  # fmt: skip
    account = await MemoryCreditReader(store).account(record.workspace_id)
    assert (account.balance, account.reserved) == (GRANTED, 0)

    result, saved = await waterfall.paid(record, WANTED, order, run_id="r2", max_credits=None,
                                         patience=ASK_ONCE, save=kept_save)  # fmt: skip
    assert saved == "kept"
    assert [(a.provider, a.credits, a.cached) for a in result.attempts] == [("apollo", 1, False)]
    assert len(apollo.calls) == 2, "the unpaid answer was not cached: asked again"
    account = await MemoryCreditReader(store).account(record.workspace_id)
    assert (account.balance, account.reserved) == (GRANTED - 1, 0)


async def test_a_run_retried_after_its_commit_but_before_its_cache_pays_once() -> None:
    waterfall, apollo, record, store = await world()
    order = [BY_NAME["apollo"]]
    await waterfall(record, WANTED, order, run_id="same", max_credits=None, patience=ASK_ONCE)
    # the process died before caching: a new one (empty cache) runs it again, under the same keys
    again = PaidWaterfall(store, {"apollo": apollo})
    result = await again(record, WANTED, order, run_id="same", max_credits=None, patience=ASK_ONCE)

    assert len(apollo.calls) == 2
    assert result.credits == 1, "the attempt costs what it costs"
    account = await MemoryCreditReader(store).account(record.workspace_id)
    assert (account.balance, account.reserved) == (GRANTED - 1, 0), "its charge was replayed, not posted twice"
