"""The credit use cases on the memory adapters and on PostgreSQL, built the way the container builds them.

ChargeCredits, GrantCredits, ReleaseStaleReservations and the starter credits
of CreateWorkspace, each through a real unit of work and real readers.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from application.credit.charge_credits import ChargeCreditsCommand
from application.credit.grant_credits import GrantCreditsCommand
from application.credit.release_stale_reservations import (
    ReleaseStaleReservationsCommand,
)
from application.workspace.create_workspace import CreateWorkspace, CreateWorkspaceCommand, CreditPolicy
from domain.credits.ledger import MAX_AMOUNT, CreditAccount, CreditRequest, EntryKind, LedgerEntry, Reservation
from domain.kernel.errors import Conflict, DomainError, Forbidden, InsufficientCredits, NotFound, ValidationFailed
from domain.kernel.pagination import PageRequest
from domain.kernel.permissions import Role
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, persist
from tests.support.clock import ManualClock
from tests.support.credits import CREATED_AT, IDS, NOW, World, create_world


def account(world: World, balance: int, reserved: int = 0) -> CreditAccount:
    return CreditAccount(workspace_id=world.workspace, balance=balance, reserved=reserved)


async def wait_until_blocked(backend: Backend, request: pytest.FixtureRequest, waiting: int) -> None:
    """Until `waiting` transactions wait for a lock (Postgres) or for the store's writer lock (memory)."""
    if backend.name == "memory":
        await asyncio.sleep(0.1)
        return
    pool: AsyncConnectionPool = request.getfixturevalue("clean_pool")
    for _ in range(200):
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).fetchone()
        if row and row[0] >= waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{waiting} transactions never waited for the account lock")


# --- CreateWorkspace: starter credits ------------------------------------------------------------------------------


async def test_a_new_workspace_gets_its_starter_credits(backend: Backend) -> None:
    world = await create_world(backend)
    assert await world.account() == account(world, 100)
    [starter] = await world.entries()
    assert starter.kind is EntryKind.GRANT
    assert (starter.amount, starter.balance_after, starter.reserved_after) == (100, 100, 0)
    assert (starter.idempotency_key, starter.reason, starter.actor_id) == ("starter", "starter credits", world.owner.id)
    assert (starter.workspace_id, starter.created_at) == (world.workspace, CREATED_AT)
    assert (starter.reservation_id, starter.reference_id) == (None, None)


async def test_without_starter_credits_the_account_is_open_and_empty(backend: Backend) -> None:
    world = await create_world(backend, CreditPolicy(starter_credits=0))
    assert await world.account() == account(world, 0)
    assert await world.entries() == []
    # the account exists: the owner can grant into it
    entry = await world.grant()(
        GrantCreditsCommand(
            actor_id=world.owner.id, workspace_id=world.workspace, amount=5, reason="", idempotency_key="k"
        )
    )
    assert entry.balance_after == 5


async def test_the_starter_credits_are_in_the_workspaces_transaction(backend: Backend) -> None:
    """A starter grant that fails takes the workspace, its membership and its account with it."""
    owner = new_user()
    await persist(backend, owner)
    create = CreateWorkspace(backend.uow(), ManualClock(NOW), IDS, CreditPolicy(starter_credits=MAX_AMOUNT + 1))
    with pytest.raises(ValidationFailed):
        await create(CreateWorkspaceCommand(actor_id=owner.id, name="Doomed"))
    assert (await backend.workspaces.list_for_member(owner.id, PageRequest())).items == []


# --- ChargeCredits -------------------------------------------------------------------------------------------------


async def test_charge_credits_spends_and_a_replay_never_charges_twice(backend: Backend) -> None:
    world = await create_world(backend)
    cmd = ChargeCreditsCommand(workspace_id=world.workspace, amount=30, idempotency_key="job-1:rec-1", reason="lookup")
    first = await world.charge()(cmd)
    assert (first.kind, first.amount, first.balance_after, first.reserved_after) == (EntryKind.CHARGE, 30, 70, 0)
    assert (first.idempotency_key, first.reason, first.actor_id, first.created_at) == (
        "job-1:rec-1",
        "lookup",
        None,
        NOW,
    )

    world.clock.advance(timedelta(minutes=5))
    use_case = world.charge()
    for _ in range(3):
        assert await use_case(cmd) == first  # the same instance, called again
    assert await world.charge()(cmd) == first
    assert await world.account() == account(world, 70)
    assert await world.entries(EntryKind.CHARGE) == [first]

    before = await world.snapshot()
    with pytest.raises(Conflict):
        await world.charge()(
            ChargeCreditsCommand(workspace_id=world.workspace, amount=31, idempotency_key="job-1:rec-1")
        )
    assert await world.snapshot() == before


async def test_concurrent_replays_of_one_charge_charge_once(backend: Backend, request: pytest.FixtureRequest) -> None:
    world = await create_world(backend)
    cmd = ChargeCreditsCommand(workspace_id=world.workspace, amount=30, idempotency_key="job-1:rec-1")
    async with backend.uow() as holder:  # another posting holds the account while the replays arrive
        grant = CreditRequest(workspace_id=world.workspace, kind=EntryKind.GRANT, amount=1, idempotency_key="other")
        await holder.credits.post(grant, entry_id=IDS.new_id(), at=NOW)
        racing = [asyncio.create_task(world.charge()(cmd)) for _ in range(3)]
        await wait_until_blocked(backend, request, 3)
        await holder.commit()
    entries = await asyncio.gather(*racing)
    assert entries[0] == entries[1] == entries[2]
    assert await world.account() == account(world, 71)
    assert len(await world.entries(EntryKind.CHARGE)) == 1


async def test_charge_credits_against_a_reservation(backend: Backend) -> None:
    world = await create_world(backend)
    rid = uuid4()
    await world.post(EntryKind.RESERVE, 40, f"job:{rid}:reserve", NOW, reservation_id=rid)

    entry = await world.charge()(
        ChargeCreditsCommand(workspace_id=world.workspace, amount=25, idempotency_key="r1", reservation_id=rid)
    )
    assert (entry.reservation_id, entry.balance_after, entry.reserved_after) == (rid, 75, 15)
    assert await world.account() == account(world, 75, 15)

    before = await world.snapshot()
    with pytest.raises(InsufficientCredits):  # the reservation holds only 15 more, though 60 are available
        await world.charge()(
            ChargeCreditsCommand(workspace_id=world.workspace, amount=16, idempotency_key="r2", reservation_id=rid)
        )
    assert await world.snapshot() == before


async def test_charge_credits_beyond_the_available_credits_writes_nothing(backend: Backend) -> None:
    world = await create_world(backend)
    before = await world.snapshot()
    with pytest.raises(InsufficientCredits):
        await world.charge()(ChargeCreditsCommand(workspace_id=world.workspace, amount=101, idempotency_key="big"))
    assert await world.snapshot() == before
    entry = await world.charge()(ChargeCreditsCommand(workspace_id=world.workspace, amount=100, idempotency_key="big"))
    assert entry.balance_after == 0


async def test_charge_credits_of_an_unknown_workspace_is_not_found(backend: Backend) -> None:
    world = await create_world(backend)
    with pytest.raises(NotFound):
        await world.charge()(ChargeCreditsCommand(workspace_id=uuid4(), amount=1, idempotency_key="k"))


# --- GrantCredits --------------------------------------------------------------------------------------------------


def grant_cmd(
    world: World, actor: UUID, amount: int = 50, key: str = "k1", reason: str = "goodwill"
) -> GrantCreditsCommand:
    return GrantCreditsCommand(
        actor_id=actor, workspace_id=world.workspace, amount=amount, reason=reason, idempotency_key=key
    )


async def test_the_owner_grants_credits_under_a_namespaced_key(backend: Backend) -> None:
    world = await create_world(backend)
    entry = await world.grant()(grant_cmd(world, world.owner.id))
    assert entry.kind is EntryKind.GRANT
    assert (entry.amount, entry.balance_after, entry.reserved_after) == (50, 150, 0)
    assert (entry.idempotency_key, entry.reason, entry.actor_id) == ("grant:k1", "goodwill", world.owner.id)
    assert await world.account() == account(world, 150)
    assert (await world.entries())[0] == entry


async def test_a_grant_key_never_collides_with_the_starter_credits(backend: Backend) -> None:
    world = await create_world(backend)
    [starter] = await world.entries()
    entry = await world.grant()(grant_cmd(world, world.owner.id, amount=5, key="starter"))
    assert entry.id != starter.id
    assert entry.idempotency_key == "grant:starter"
    assert await world.account() == account(world, 105)


async def test_a_replayed_grant_is_the_first_one_and_other_content_is_a_conflict(backend: Backend) -> None:
    world = await create_world(backend)
    first = await world.grant()(grant_cmd(world, world.owner.id))
    world.clock.advance(timedelta(hours=1))
    assert await world.grant()(grant_cmd(world, world.owner.id)) == first
    before = await world.snapshot()
    for other in (grant_cmd(world, world.owner.id, amount=51), grant_cmd(world, world.owner.id, reason="other")):
        with pytest.raises(Conflict):
            await world.grant()(other)
    assert await world.snapshot() == before
    assert before[0] == account(world, 150)


async def test_a_second_owner_replaying_the_grant_gets_the_first_entry(backend: Backend) -> None:
    world = await create_world(backend)
    co_owner = await world.join(Role.OWNER)
    first = await world.grant()(grant_cmd(world, world.owner.id))
    assert await world.grant()(grant_cmd(world, co_owner.id)) == first
    assert await world.account() == account(world, 150)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
async def test_only_owners_grant(backend: Backend, role: Role) -> None:
    world = await create_world(backend)
    actor = await world.join(role)
    before = await world.snapshot()
    with pytest.raises(Forbidden):
        await world.grant()(grant_cmd(world, actor.id))
    assert await world.snapshot() == before


async def test_a_non_member_cannot_grant_and_learns_nothing(backend: Backend) -> None:
    world = await create_world(backend)
    other = await create_world(backend)  # an owner, but of another workspace
    before = await world.snapshot()
    for stranger in (new_user().id, other.owner.id):
        with pytest.raises(NotFound):
            await world.grant()(grant_cmd(world, stranger))
    assert await world.snapshot() == before
    assert await other.account() == account(other, 100)


async def test_a_grant_to_an_unknown_workspace_is_not_found(backend: Backend) -> None:
    world = await create_world(backend)
    cmd = GrantCreditsCommand(actor_id=world.owner.id, workspace_id=uuid4(), amount=5, reason="", idempotency_key="k")
    with pytest.raises(NotFound):
        await world.grant()(cmd)


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1])
async def test_a_grant_of_a_bad_amount_is_refused(backend: Backend, amount: int) -> None:
    world = await create_world(backend)
    before = await world.snapshot()
    with pytest.raises(ValidationFailed):
        await world.grant()(grant_cmd(world, world.owner.id, amount=amount))
    assert await world.snapshot() == before


async def test_a_grant_needs_an_idempotency_key(backend: Backend) -> None:
    world = await create_world(backend)
    before = await world.snapshot()
    with pytest.raises(ValidationFailed):
        await world.grant()(grant_cmd(world, world.owner.id, key=""))
    assert await world.snapshot() == before


# --- ReleaseStaleReservations --------------------------------------------------------------------------------------


async def crashed_jobs(world: World) -> dict[str, UUID]:
    """Two jobs that crashed two and three hours ago holding credits, and one running for ten minutes."""
    ids = {"old": uuid4(), "older": uuid4(), "young": uuid4()}
    await world.post(EntryKind.RESERVE, 10, "older", NOW - timedelta(hours=3), reservation_id=ids["older"])
    await world.post(EntryKind.RESERVE, 40, "old", NOW - timedelta(hours=2), reservation_id=ids["old"])
    await world.post(EntryKind.CHARGE, 15, "old:rec-1", NOW - timedelta(hours=2), reservation_id=ids["old"])
    await world.post(EntryKind.RESERVE, 20, "young", NOW - timedelta(minutes=10), reservation_id=ids["young"])
    assert await world.account() == account(world, 85, 55)  # 30 available
    return ids


async def test_stale_reservations_are_released_and_their_credits_come_back(backend: Backend) -> None:
    world = await create_world(backend)
    ids = await crashed_jobs(world)

    released = await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
    assert [(e.reservation_id, e.kind, e.amount) for e in released] == [
        (ids["older"], EntryKind.RELEASE, 10),
        (ids["old"], EntryKind.RELEASE, 25),  # what the crashed job had not spent
    ]
    assert [e.idempotency_key for e in released] == [f"release:{ids['older']}", f"release:{ids['old']}"]
    assert [(e.balance_after, e.reserved_after, e.created_at) for e in released] == [(85, 45, NOW), (85, 20, NOW)]
    assert await world.account() == account(world, 85, 20)
    assert (await world.account()).available == 65
    # both share a timestamp: the listing orders them by id
    assert await world.entries(EntryKind.RELEASE) == sorted(released, key=lambda e: e.id, reverse=True)

    reservations = {name: await backend.credits.reservation(world.workspace, rid) for name, rid in ids.items()}
    assert reservations["old"] == Reservation(
        id=ids["old"], workspace_id=world.workspace, amount=40, remaining=0,
        created_at=NOW - timedelta(hours=2), closed_at=NOW,
    )  # fmt: skip
    assert reservations["older"] is not None
    assert reservations["older"].closed_at == NOW
    assert reservations["young"] == Reservation(
        id=ids["young"], workspace_id=world.workspace, amount=20, remaining=20, created_at=NOW - timedelta(minutes=10)
    )

    # the freed credits can be spent
    spend = await world.charge()(ChargeCreditsCommand(workspace_id=world.workspace, amount=65, idempotency_key="s"))
    assert (spend.balance_after, spend.reserved_after) == (20, 20)


async def test_releasing_stale_reservations_twice_releases_once(backend: Backend) -> None:
    world = await create_world(backend)
    await crashed_jobs(world)
    cmd = ReleaseStaleReservationsCommand(older_than=timedelta(hours=1))
    assert len(await world.sweeper()(cmd)) == 2
    after = await world.snapshot()
    world.clock.advance(timedelta(seconds=1))
    assert await world.sweeper()(cmd) == []
    assert await world.snapshot() == after


async def test_the_sweep_respects_its_limit_oldest_first(backend: Backend) -> None:
    world = await create_world(backend)
    ids = await crashed_jobs(world)
    released = await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1), limit=1))
    assert [e.reservation_id for e in released] == [ids["older"]]
    assert await world.account() == account(world, 85, 45)


async def test_once_old_enough_the_running_job_is_released_too(backend: Backend) -> None:
    world = await create_world(backend)
    ids = await crashed_jobs(world)
    await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
    world.clock.advance(timedelta(minutes=51))
    released = await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
    assert [(e.reservation_id, e.amount) for e in released] == [(ids["young"], 20)]
    assert await world.account() == account(world, 85, 0)


async def test_only_stale_reservations_of_every_workspace_are_released(backend: Backend) -> None:
    world = await create_world(backend)
    other = await create_world(backend)
    mine, theirs = uuid4(), uuid4()
    await world.post(EntryKind.RESERVE, 30, "r", NOW - timedelta(hours=2), reservation_id=mine)
    await other.post(EntryKind.RESERVE, 60, "r", NOW - timedelta(hours=2), reservation_id=theirs)
    released = await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
    assert {(e.workspace_id, e.reservation_id, e.amount) for e in released} == {
        (world.workspace, mine, 30),
        (other.workspace, theirs, 60),
    }
    assert await world.account() == account(world, 100)
    assert await other.account() == account(other, 100)


async def test_a_job_settling_after_the_sweep_is_refused_and_nothing_is_released_twice(backend: Backend) -> None:
    world = await create_world(backend)
    ids = await crashed_jobs(world)
    await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
    after = await world.snapshot()
    # the job was only slow, not dead: its own release and charges now come too late
    with pytest.raises(Conflict):
        await world.post(EntryKind.RELEASE, 0, "old:release", NOW, reservation_id=ids["old"])
    with pytest.raises(Conflict):
        await world.charge()(
            ChargeCreditsCommand(
                workspace_id=world.workspace, amount=1, idempotency_key="old:rec-2", reservation_id=ids["old"]
            )
        )
    assert await world.snapshot() == after


class JobSettlesDuringTheSweep:
    """The real reader; right after the sweep has listed the stale reservations, the first job settles itself."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._reader = world.backend.credits
        self.settled: LedgerEntry | None = None

    async def open_reservations(self, created_before: datetime, limit: int) -> list[Reservation]:
        found = await self._reader.open_reservations(created_before, limit)
        first = found[0]
        self.settled = await self._world.post(
            EntryKind.RELEASE, 0, f"job:{first.id}:done", NOW, reservation_id=first.id, reason="job finished"
        )
        return found

    def __getattr__(self, name: str) -> object:
        return getattr(self._reader, name)


async def test_a_job_settling_during_the_sweep_is_released_once_and_the_sweep_goes_on(backend: Backend) -> None:
    world = await create_world(backend)
    ids = await crashed_jobs(world)
    racing = JobSettlesDuringTheSweep(world)

    released = await world.sweeper(racing)(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))  # type: ignore[arg-type]

    assert racing.settled is not None
    assert racing.settled.reservation_id == ids["older"]
    assert [(e.reservation_id, e.amount) for e in released] == [(ids["old"], 25)]
    assert sorted(e.reservation_id for e in await world.entries(EntryKind.RELEASE)) == sorted(
        [ids["old"], ids["older"]]
    )
    assert await world.account() == account(world, 85, 20)


async def test_a_sweep_racing_a_job_release_releases_once(backend: Backend) -> None:
    """Truly concurrent: the job's release and the sweep; whichever is second is refused or finds nothing."""
    world = await create_world(backend)
    rid = uuid4()
    await world.post(EntryKind.RESERVE, 40, "only", NOW - timedelta(hours=2), reservation_id=rid)

    async def job() -> LedgerEntry | DomainError:
        try:
            return await world.post(EntryKind.RELEASE, 0, "job:done", NOW, reservation_id=rid)
        except DomainError as error:
            return error

    async def sweep() -> list[LedgerEntry] | DomainError:
        try:
            return await world.sweeper()(ReleaseStaleReservationsCommand(older_than=timedelta(hours=1)))
        except DomainError as error:
            return error

    job_outcome, sweep_outcome = await asyncio.gather(job(), sweep())
    releases = await world.entries(EntryKind.RELEASE)
    assert len(releases) == 1
    assert releases[0].amount == 40
    assert await world.account() == account(world, 100)
    assert isinstance(job_outcome, LedgerEntry) != (isinstance(sweep_outcome, list) and len(sweep_outcome) == 1)
