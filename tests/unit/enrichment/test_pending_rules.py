"""Pending answers in the waterfall: asked again with backoff until the deadline, on the memory adapters
with scripted providers and simulated time (the waits pass at once)."""

from __future__ import annotations

from adapters.memory.credits import MemoryCreditReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.providers.directory import ScriptedProvider
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from domain.enrichment.pending import Patience
from domain.enrichment.provider_registry import BY_NAME
from domain.enrichment.schema import EntityKind, FieldValue, Outcome, ProviderResult
from domain.enrichment.waterfall import Attempt
from domain.records.record import Record, RecordStatus
from tests.support.builders.accounts import funded_workspace
from tests.support.clock import ManualClock
from tests.support.waterfall import PaidWaterfall

PATIENCE = Patience(deadline_seconds=10, first_wait_seconds=1, max_wait_seconds=4)
GRANTED = 10


def hit(**fields: str) -> ProviderResult:
    return ProviderResult(outcome=Outcome.HIT, fields={name: FieldValue(value=v) for name, v in fields.items()})


async def world(providers: dict[str, ScriptedProvider]) -> tuple[PaidWaterfall, Record, MemoryStore, ManualClock]:
    store, clock, ids, time = MemoryStore(), SystemClock(), Uuid7Generator(), ManualClock()
    workspace = await funded_workspace(MemoryUnitOfWork(store), GRANTED)
    run = PaidWaterfall(store, providers, monotonic=time)
    now = clock.now()
    record = Record(id=ids.new_id(), workspace_id=workspace.id, kind=EntityKind.PERSON,
                    inputs={"email": "ann@example.com"}, created_at=now, updated_at=now)  # fmt: skip
    return run, record, store, time


async def balance(store: MemoryStore, record: Record) -> int:
    return (await MemoryCreditReader(store).account(record.workspace_id)).balance


def outcomes(attempts: list[Attempt]) -> list[tuple[str, str, int, bool]]:
    return [(a.provider, a.outcome, a.credits, a.cached) for a in attempts]


def test_the_wait_doubles_up_to_the_most_and_never_undercuts_retry_after() -> None:
    assert [PATIENCE.wait(asks) for asks in range(1, 6)] == [1, 2, 4, 4, 4]
    assert PATIENCE.wait(1, retry_after_seconds=3) == 3
    assert PATIENCE.wait(3, retry_after_seconds=0.5) == 4
    assert PATIENCE.wait(10_000) == 4, "no overflow however many asks"


async def test_a_pending_lookup_is_asked_again_until_it_answers_then_paid_once_and_cached() -> None:
    clearbit = ScriptedProvider("clearbit", hit(title="CTO"), pending_first=2)
    run, record, store, time = await world({"clearbit": clearbit})

    result = await run(record, frozenset({"title"}), [BY_NAME["clearbit"]], run_id="r1", max_credits=None,
                       patience=PATIENCE, pause=time.sleep)  # fmt: skip

    assert outcomes(result.attempts) == [
        ("clearbit", "pending", 0, False),
        ("clearbit", "pending", 0, False),
        ("clearbit", "hit", 2, False),
    ]
    assert result.attempts[-1].fields == ("title",)
    assert sum(time.slept) == 1 + 2, "asked again after 1 s, then after 2 s"
    assert result.status() is RecordStatus.ENRICHED
    assert await balance(store, record) == GRANTED - 2

    again = await run(record, frozenset({"title"}), [BY_NAME["clearbit"]], run_id="r2", max_credits=None,
                      patience=PATIENCE, pause=time.sleep)  # fmt: skip
    assert outcomes(again.attempts) == [("clearbit", "hit", 0, True)]
    assert len(clearbit.calls) == 3
    assert await balance(store, record) == GRANTED - 2


async def test_a_lookup_still_pending_at_the_deadline_is_given_up_for_nothing() -> None:
    clearbit = ScriptedProvider("clearbit", hit(title="CTO"), pending_first=1000)
    run, record, store, time = await world({"clearbit": clearbit})

    result = await run(record, frozenset({"title"}), [BY_NAME["clearbit"]], run_id="r", max_credits=None,
                       patience=PATIENCE, pause=time.sleep)  # fmt: skip

    # asked at 0, 1, 3 and 7 s; the next ask would be at 11 s, past the 10 s deadline
    assert outcomes(result.attempts) == [("clearbit", "pending", 0, False)] * 4
    assert sum(time.slept) == 7
    assert result.status() is RecordStatus.NOT_FOUND
    assert await balance(store, record) == GRANTED


async def test_a_pending_answer_is_final_when_the_run_may_not_wait() -> None:
    clearbit = ScriptedProvider("clearbit", hit(title="CTO"), pending_first=1)
    run, record, _, time = await world({"clearbit": clearbit})

    result = await run(record, frozenset({"title"}), [BY_NAME["clearbit"]], run_id="r", max_credits=None,
                       patience=Patience(deadline_seconds=0), pause=time.sleep)  # fmt: skip

    assert outcomes(result.attempts) == [("clearbit", "pending", 0, False)]
    assert sum(time.slept) == 0


async def test_a_stopped_pause_ends_the_run_without_asking_again() -> None:
    clearbit = ScriptedProvider("clearbit", hit(title="CTO"), pending_first=1)
    run, record, store, _ = await world({"clearbit": clearbit})

    async def stop(seconds: float) -> bool:
        return False

    result = await run(record, frozenset({"title"}), [BY_NAME["clearbit"]], run_id="r", max_credits=None,
                       patience=PATIENCE, pause=stop)  # fmt: skip

    assert outcomes(result.attempts) == [("clearbit", "pending", 0, False)]
    assert len(clearbit.calls) == 1
    account = await MemoryCreditReader(store).account(record.workspace_id)
    assert (account.balance, account.reserved) == (GRANTED, 0), "the reservation went back"


async def test_the_ceiling_keeps_room_to_pay_a_pending_lookups_answer() -> None:
    hunter = ScriptedProvider("hunter", hit(emailStatus="valid"), pending_first=1)
    apollo = ScriptedProvider("apollo", hit(phone="+14155550100"))
    run, record, store, time = await world({"hunter": hunter, "apollo": apollo})

    result = await run(record, frozenset({"emailStatus", "phone"}), [BY_NAME["hunter"], BY_NAME["apollo"]],
                       run_id="r", max_credits=1, patience=PATIENCE, pause=time.sleep)  # fmt: skip

    # Apollo (1 credit) would fit the ceiling of 1 while Hunter verifies, but not beside Hunter's answer (1)
    assert outcomes(result.attempts) == [("hunter", "pending", 0, False), ("hunter", "hit", 1, False)]
    assert apollo.calls == []
    assert await balance(store, record) == GRANTED - 1


async def test_later_providers_are_not_asked_for_what_a_pending_lookup_may_answer() -> None:
    clearbit = ScriptedProvider("clearbit", ProviderResult(outcome=Outcome.MISS), pending_first=1)
    apollo = ScriptedProvider("apollo", hit(title="CTO"))
    run, record, _, time = await world({"clearbit": clearbit, "apollo": apollo})

    result = await run(record, frozenset({"title"}), [BY_NAME["clearbit"], BY_NAME["apollo"]], run_id="r",
                       max_credits=None, patience=PATIENCE, pause=time.sleep)  # fmt: skip

    # Clearbit first, as the order says: Apollo is asked only once Clearbit's final answer is a miss
    assert outcomes(result.attempts) == [
        ("clearbit", "pending", 0, False),
        ("clearbit", "miss", 2, False),
        ("apollo", "hit", 1, False),
    ]
    assert result.found["title"][1].provider == "apollo"


async def test_a_pending_lookup_is_not_asked_again_once_others_found_what_it_could_answer() -> None:
    hunter = ScriptedProvider("hunter", hit(emailStatus="valid"), pending_first=1)
    apollo = ScriptedProvider("apollo", hit(title="CTO", emailStatus="valid"))
    run, record, _, time = await world({"hunter": hunter, "apollo": apollo})

    result = await run(record, frozenset({"emailStatus", "title", "phone"}), [BY_NAME["hunter"], BY_NAME["apollo"]],
                       run_id="r", max_credits=None, patience=PATIENCE, pause=time.sleep)  # fmt: skip

    # Hunter, verifying, may answer email and emailStatus; Apollo, asked for the title, found emailStatus too
    assert outcomes(result.attempts) == [("hunter", "pending", 0, False), ("apollo", "hit", 1, False)]
    assert len(hunter.calls) == 1
    assert sum(time.slept) == 0
    assert result.status() is RecordStatus.PARTIAL


async def test_a_question_a_pending_answer_may_change_waits_for_it_so_a_repeat_finds_it_cached() -> None:
    clearbit = ScriptedProvider("clearbit", hit(title="CTO", linkedinUrl="https://www.linkedin.com/in/ann"),
                                pending_first=1)  # fmt: skip
    hunter = ScriptedProvider("hunter", hit(emailStatus="valid"))
    run, record, store, time = await world({"clearbit": clearbit, "hunter": hunter})
    order = [BY_NAME["clearbit"], BY_NAME["hunter"]]

    wanted = frozenset({"title", "linkedinUrl", "emailStatus"})

    first = await run(record, wanted, order, run_id="r1", max_credits=None, patience=PATIENCE, pause=time.sleep)
    again = await run(record, wanted, order, run_id="r2", max_credits=None, patience=PATIENCE, pause=time.sleep)

    # Clearbit may find a LinkedIn URL, which Hunter would be asked with: Hunter waits for Clearbit's answer
    assert outcomes(first.attempts) == [
        ("clearbit", "pending", 0, False),
        ("clearbit", "hit", 2, False),
        ("hunter", "hit", 1, False),
    ]
    assert "linkedinUrl" in hunter.calls[0].inputs
    assert outcomes(again.attempts) == [("clearbit", "hit", 0, True), ("hunter", "hit", 0, True)]
    assert await balance(store, record) == GRANTED - 3
