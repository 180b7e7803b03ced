"""WebhookRepository, DeliveryRepository, WebhookReader and the outbox's publishing side, on the memory and
Postgres adapters alike."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.webhook.publish_events import PublishEvents
from domain.kernel.errors import Conflict
from domain.kernel.events import Event, EventType
from domain.kernel.pagination import Page, PageRequest
from domain.webhooks.webhook import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookPolicy,
    WebhookSubscription,
)
from domain.workspaces.workspace import Workspace
from ports.webhooks import DeliveryDetail
from tests.conftest import Backend
from tests.support.builders.accounts import new_user, new_workspace, persist, utc_now
from tests.support.builders.webhooks import (
    new_delivery,
    new_ping,
    new_webhook,
    sealed_secret,
    store_attempts,
    store_deliveries,
    store_webhooks,
    stored,
    stored_attempts,
)
from tests.support.paging import BASE, LIMITS, OFFSETS, all_pages, assert_paged

POLICY = WebhookPolicy()
NO_RETRIES = WebhookPolicy(retry_window_seconds=0.0)  # a failed attempt dead-letters at once
OK = AttemptOutcome(status_code=204, latency_ms=87, response_excerpt="")
UNAVAILABLE = AttemptOutcome(
    status_code=503, latency_ms=1203, response_excerpt='{"error":"maintenance, back at 10:00 ☕"}', error="HTTP 503"
)
REFUSED = AttemptOutcome(status_code=None, latency_ms=3, error="connection refused by 203.0.113.7:443")
NOW = BASE + timedelta(hours=1)
PAGE = PageRequest(limit=200)
NO_WAIT = 5.0  # seconds: far more than a skip takes, far less than a lock wait that never ends
SERIAL_ONLY = "the memory adapter runs one unit of work at a time: nothing to skip"


def by_id(items: list[Delivery]) -> list[Delivery]:
    return sorted(items, key=lambda d: d.id)


def ids(items: list[Delivery] | list[WebhookSubscription] | list[Event]) -> set[UUID]:
    return {i.id for i in items}


async def two_workspaces(backend: Backend) -> tuple[Workspace, Workspace]:
    owner = new_user()
    mine, theirs = new_workspace(owner), new_workspace(owner)
    await persist(backend, owner, mine, theirs)
    return mine, theirs


async def with_webhook(backend: Backend) -> tuple[Workspace, WebhookSubscription]:
    workspace, _ = await two_workspaces(backend)
    webhook = new_webhook(workspace, created_at=BASE)
    await store_webhooks(backend, webhook)
    return workspace, webhook


def succeeded(delivery: Delivery, at: timedelta = timedelta(minutes=1)) -> Delivery:
    lease = uuid4()
    claimed = delivery.claimed(lease, delivery.created_at + timedelta(minutes=5))
    return claimed.attempted(OK, policy=POLICY, now=delivery.created_at + at, jitter=0.5)


def dead(delivery: Delivery, reason: str = "the webhook was disabled") -> Delivery:
    return delivery.dead_lettered(reason, delivery.created_at + timedelta(hours=2))


def tried(delivery: Delivery, *outcomes: AttemptOutcome) -> tuple[Delivery, list[DeliveryAttempt]]:
    """The delivery after an attempt per outcome, a minute apart from NOW, and each attempt's log entry."""
    entries = []
    for n, outcome in enumerate(outcomes):
        started = NOW + timedelta(minutes=n, microseconds=n + 1)
        entries.append(delivery.attempt_entry(outcome, started))
        delivery = delivery.attempted(outcome, policy=POLICY, now=started + timedelta(seconds=1), jitter=0.5)
    return delivery, entries


# Subscriptions


async def test_add_then_read_every_field_within_its_workspace(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    rotated_at = utc_now().replace(microsecond=424242)
    plain = new_webhook(mine)
    rotated = replace(
        new_webhook(mine, active=False, events=(EventType.CREDITS_LOW.value,)),
        previous_secret=sealed_secret("v0"),
        previous_secret_expires_at=rotated_at + timedelta(days=1),
        failure_streak=4,
        disabled_reason="5 deliveries in a row failed every attempt — ünïcode",
        created_at=rotated_at - timedelta(days=3),
        updated_at=rotated_at,
    )
    await store_webhooks(backend, plain, rotated)

    for webhook in (plain, rotated):
        assert await backend.webhooks.get(mine.id, webhook.id) == webhook
        assert await backend.webhooks.get(theirs.id, webhook.id) is None
    read = await backend.webhooks.get(mine.id, rotated.id)
    assert read is not None
    assert read.previous_secret_expires_at == rotated_at + timedelta(days=1)  # to the microsecond
    assert read.sealed_secret.ciphertext == rotated.sealed_secret.ciphertext
    assert await backend.webhooks.get(mine.id, uuid4()) is None
    async with backend.uow() as uow:
        assert await uow.webhooks.get_for_update(mine.id, rotated.id) == rotated
        assert await uow.webhooks.get_for_update(mine.id, plain.id) == plain
        assert await uow.webhooks.get_for_update(theirs.id, plain.id) is None
        assert await uow.webhooks.get_for_update(mine.id, uuid4()) is None
        assert await uow.webhooks.count(mine.id) == 2
        assert await uow.webhooks.count(theirs.id) == 0
        assert await uow.webhooks.count(uuid4()) == 0


async def test_a_duplicate_webhook_id_is_a_conflict_that_aborts_the_unit_of_work(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    before = new_webhook(workspace)

    async with backend.uow() as uow:
        await uow.webhooks.add(before)
        with pytest.raises(Conflict):
            await uow.webhooks.add(replace(new_webhook(workspace), id=webhook.id))
        await uow.commit()

    assert await backend.webhooks.get(workspace.id, before.id) is None  # the unit of work kept nothing
    assert await backend.webhooks.get(workspace.id, webhook.id) == webhook


async def test_save_persists_the_mutable_fields_only(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhook, other = new_webhook(mine, created_at=BASE), new_webhook(mine, created_at=BASE)
    await store_webhooks(backend, webhook, other)
    later = BASE + timedelta(days=2, microseconds=7)
    rotated = replace(
        webhook,
        url="http://10.0.0.1:8443/hooks?token=abc&x=ünï",
        events=(EventType.JOB_FAILED.value, EventType.JOB_CANCELLED.value),
        sealed_secret=sealed_secret("v2"),
        previous_secret=webhook.sealed_secret,
        previous_secret_expires_at=later + timedelta(days=1),
        active=False,
        failure_streak=5,
        disabled_reason="5 deliveries in a row failed every attempt",
        updated_at=later,
    )

    async with backend.uow() as uow:
        # Ids, workspace, author and creation time are not the save's to change.
        await uow.webhooks.save(replace(rotated, created_by=uuid4(), created_at=later))
        await uow.webhooks.save(replace(other, workspace_id=theirs.id, url="https://elsewhere.example.com/"))
        await uow.commit()
    assert await backend.webhooks.get(mine.id, webhook.id) == rotated
    assert await backend.webhooks.get(mine.id, other.id) == other  # another workspace's save changes nothing
    assert await backend.webhooks.get(theirs.id, other.id) is None

    restored = replace(rotated, previous_secret=None, previous_secret_expires_at=None, active=True, failure_streak=0)
    restored = replace(restored, disabled_reason=None, updated_at=later + timedelta(seconds=1))
    async with backend.uow() as uow:
        await uow.webhooks.save(restored)
        await uow.webhooks.save(new_webhook(mine))  # no such webhook: nothing happens
        assert await uow.webhooks.get_for_update(mine.id, webhook.id) == restored  # seen in its unit of work
    assert await backend.webhooks.get(mine.id, webhook.id) == rotated  # not committed
    async with backend.uow() as uow:
        await uow.webhooks.save(restored)
        await uow.commit()
    assert await backend.webhooks.get(mine.id, webhook.id) == restored
    assert [w.id for w in (await backend.webhooks.list(mine.id, PAGE)).items] == sorted([webhook.id, other.id])


async def test_delete_takes_the_deliveries_along_and_answers_false_for_unknown_or_foreign_ids(
    backend: Backend,
) -> None:
    mine, theirs = await two_workspaces(backend)
    doomed, kept = new_webhook(mine), new_webhook(mine)
    await store_webhooks(backend, doomed, kept)
    gone = [new_delivery(doomed, created_at=BASE), succeeded(new_delivery(doomed)), new_ping(doomed)]
    survivors = [new_delivery(kept, created_at=BASE), dead(new_delivery(kept))]
    await store_deliveries(backend, *gone, *survivors)
    _, gone_attempts = tried(gone[1], UNAVAILABLE, OK)
    _, kept_attempts = tried(survivors[1], REFUSED)
    await store_attempts(backend, *gone_attempts, *kept_attempts)

    async with backend.uow() as uow:
        assert await uow.webhooks.delete(theirs.id, doomed.id) is False
        assert await uow.webhooks.delete(mine.id, uuid4()) is False
        await uow.commit()
    assert await backend.webhooks.get(mine.id, doomed.id) == doomed

    async with backend.uow() as uow:
        assert await uow.webhooks.delete(mine.id, doomed.id) is True
        assert await uow.webhooks.delete(mine.id, doomed.id) is False
        assert await uow.webhooks.count(mine.id) == 1
        await uow.commit()
    assert await backend.webhooks.get(mine.id, doomed.id) is None
    for delivery in gone:
        assert await stored(backend, delivery) is None
    assert (await backend.webhooks.deliveries(mine.id, doomed.id, PAGE)).items == []
    for delivery in survivors:
        assert await stored(backend, delivery) == delivery
    assert await stored_attempts(backend, survivors[1]) == tuple(kept_attempts)
    remade = replace(gone[1], subscription_id=kept.id)  # its id used again: its attempts went with it
    await store_deliveries(backend, remade)
    assert await stored_attempts(backend, remade) == ()
    async with backend.uow() as uow:  # its deliveries are not due anywhere either
        lease = uuid4()
        claimed = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=NOW, limit=10)
        assert claimed == [survivors[0].claimed(lease, NOW)]
        assert await uow.deliveries.get_for_update(mine.id, doomed.id, gone[0].id) is None


async def test_subscribers_are_the_active_webhooks_of_the_workspaces_named(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    stranger = new_user()
    third = new_workspace(stranger)
    await persist(backend, stranger, third)
    active = [new_webhook(mine), new_webhook(mine), new_webhook(theirs)]
    paused, elsewhere = new_webhook(mine, active=False), new_webhook(third)
    await store_webhooks(backend, *active, paused, elsewhere)

    async with backend.uow() as uow:
        assert await uow.webhooks.subscribers([mine.id, theirs.id]) == sorted(active, key=lambda w: w.id)
        assert await uow.webhooks.subscribers([theirs.id, theirs.id]) == [active[2]]
        assert await uow.webhooks.subscribers([third.id]) == [elsewhere]
        assert await uow.webhooks.subscribers([uuid4()]) == []
        assert await uow.webhooks.subscribers([]) == []
        await uow.webhooks.save(replace(elsewhere, active=False, disabled_reason="paused", updated_at=NOW))
        assert await uow.webhooks.subscribers([third.id]) == []


async def test_lock_many_answers_in_id_order_and_leaves_out_unknown_ids(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhooks = [new_webhook(mine), new_webhook(mine, active=False), new_webhook(theirs)]
    await store_webhooks(backend, *webhooks)
    a, b, c = webhooks

    async with backend.uow() as uow:
        assert await uow.webhooks.lock_many([c.id, uuid4(), a.id, b.id, c.id]) == sorted(webhooks, key=lambda w: w.id)
        assert await uow.webhooks.lock_many([b.id]) == [b]
        assert await uow.webhooks.lock_many([uuid4()]) == []
        assert await uow.webhooks.lock_many([]) == []


def sealed_under(workspace: Workspace, current: str, previous: str | None = None) -> WebhookSubscription:
    """A webhook whose current secret is sealed under key `current` and its previous one, if any, under `previous`."""
    webhook = new_webhook(workspace, created_at=BASE)
    if previous is None:
        return replace(webhook, sealed_secret=sealed_secret(current))
    return replace(
        webhook,
        sealed_secret=sealed_secret(current),
        previous_secret=sealed_secret(previous),
        previous_secret_expires_at=NOW,
    )


def resealed(webhook: WebhookSubscription, key_version: str) -> WebhookSubscription:
    previous = webhook.previous_secret
    return replace(
        webhook,
        sealed_secret=sealed_secret(key_version),
        previous_secret=None if previous is None else sealed_secret(key_version),
    )


async def test_webhooks_not_under_a_key_have_their_current_or_previous_secret_under_another(
    backend: Backend,
) -> None:
    mine, theirs = await two_workspaces(backend)
    stale = [
        sealed_under(mine, "v1"),
        sealed_under(theirs, "v1"),
        sealed_under(mine, "v2", "v1"),  # rotated by its owner after v2 came: only the previous one is old
        sealed_under(theirs, "v1", "v2"),
        sealed_under(mine, "v1", "v1"),
        sealed_under(theirs, "v0", "v1"),
    ]
    current = [sealed_under(mine, "v2"), sealed_under(theirs, "v2", "v2")]
    await store_webhooks(backend, *stale, *current)
    in_order = sorted(stale, key=lambda w: w.id)

    assert await backend.webhooks.count_not_under_key("v2") == len(stale)
    assert await backend.webhooks.count_not_under_key("v1") == 5  # all but the three wholly under v1
    assert await backend.webhooks.count_not_under_key("never") == len(stale) + len(current)
    async with backend.uow() as uow:
        list_stale = uow.webhooks.list_not_under_key_for_update
        assert await list_stale("v2", after=None, limit=100) == in_order
        assert await list_stale("v2", after=None, limit=2) == in_order[:2]
        assert await list_stale("v2", after=in_order[1].id, limit=3) == in_order[2:5]
        assert await list_stale("v2", after=in_order[-1].id, limit=3) == []
        assert await list_stale("v2", after=UUID(int=(1 << 128) - 1), limit=3) == []
        assert await list_stale("v1", after=None, limit=100) == sorted(
            [stale[2], stale[3], stale[5], *current], key=lambda w: w.id
        )

        await uow.webhooks.save(resealed(stale[2], "v2"))
        await uow.webhooks.save(replace(stale[3], sealed_secret=sealed_secret("v2")))  # both under v2 now
        await uow.webhooks.save(replace(stale[5], sealed_secret=sealed_secret("v2")))  # its previous is still v1
        left = sorted([stale[0], stale[1], stale[4], stale[5]], key=lambda w: w.id)
        assert [w.id for w in await list_stale("v2", after=None, limit=100)] == [w.id for w in left]
        assert await backend.webhooks.count_not_under_key("v2") == len(stale)  # the reader sees committed rows only
        await uow.commit()
    assert await backend.webhooks.count_not_under_key("v2") == len(left)


async def test_webhooks_listed_not_under_a_key_are_held_until_the_transaction_ends(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhooks = [sealed_under(mine, "v1", "v1"), sealed_under(theirs, "v1"), sealed_under(mine, "v1")]
    webhooks.sort(key=lambda w: w.id)
    await store_webhooks(backend, *webhooks)
    locked = asyncio.Event()

    async def holder() -> None:
        async with backend.uow() as uow:
            held = await uow.webhooks.list_not_under_key_for_update("v2", after=None, limit=2)
            assert held == webhooks[:2]
            locked.set()
            await asyncio.sleep(0.2)  # a competitor that did not wait would see them under v1 now
            for webhook in held:
                await uow.webhooks.save(resealed(webhook, "v2"))
            await uow.commit()

    async def competitor() -> tuple[list[WebhookSubscription], WebhookSubscription | None]:
        await locked.wait()
        async with backend.uow() as uow:
            # the rows re-sealed while it waited are checked again and left out
            stale = await uow.webhooks.list_not_under_key_for_update("v2", after=None, limit=10)
            return stale, await uow.webhooks.get_for_update(webhooks[0].workspace_id, webhooks[0].id)

    _, (stale, first) = await asyncio.gather(holder(), competitor())
    assert stale == webhooks[2:]
    assert first is not None
    assert first.sealed_secret.key_version == "v2"


# Deliveries


async def test_every_field_of_a_delivery_survives_add(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    made = new_delivery(webhook, created_at=BASE, event_type=EventType.JOB_COMPLETED)
    retrying = made.claimed(uuid4(), BASE + timedelta(minutes=1)).attempted(
        UNAVAILABLE, policy=POLICY, now=BASE + timedelta(seconds=2, microseconds=5), jitter=0.25
    )
    assert retrying.status is DeliveryStatus.PENDING
    assert retrying.next_attempt_at is not None
    leased = made.claimed(uuid4(), BASE + timedelta(seconds=60, microseconds=999999))
    ping_failed = new_ping(webhook, at=BASE).attempted(REFUSED, policy=POLICY, now=BASE, jitter=0.0)
    replayed = dead(new_delivery(webhook, created_at=BASE)).replayed(BASE + timedelta(days=1, microseconds=1))
    deliveries = [
        made,
        replace(retrying, id=uuid4(), event_id=uuid4()),  # one delivery per event and webhook
        replace(leased, id=uuid4(), event_id=uuid4()),
        succeeded(new_delivery(webhook, created_at=BASE)),
        dead(new_delivery(webhook, created_at=BASE), "x" * 1000),
        ping_failed,
        replayed,
    ]
    async with backend.uow() as uow:
        await uow.deliveries.add_many(deliveries)
        await uow.deliveries.add_many([])
        await uow.commit()

    for delivery in deliveries:
        assert await stored(backend, delivery) == delivery
    assert ping_failed.event_id is None
    assert ping_failed.status is DeliveryStatus.FAILED
    page = await backend.webhooks.deliveries(workspace.id, webhook.id, PAGE)
    assert sorted(page.items, key=lambda d: d.id) == by_id(deliveries)


async def test_a_duplicate_delivery_or_one_naming_no_webhook_is_a_conflict_that_aborts(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    existing = new_delivery(webhook)
    await store_deliveries(backend, existing)
    added_before = new_webhook(workspace)
    fresh = new_delivery(webhook)

    async with backend.uow() as uow:
        await uow.webhooks.add(added_before)
        await uow.deliveries.add_many([fresh])
        with pytest.raises(Conflict):
            await uow.deliveries.add_many([new_delivery(webhook), replace(new_delivery(webhook), id=existing.id)])
        await uow.commit()
    assert await backend.webhooks.get(workspace.id, added_before.id) is None  # the unit of work kept nothing
    assert await stored(backend, fresh) is None
    assert await stored(backend, existing) == existing

    orphan = replace(new_delivery(webhook), subscription_id=uuid4())
    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.deliveries.add_many([orphan])
        await uow.commit()
    assert [d.id for d in (await backend.webhooks.deliveries(workspace.id, webhook.id, PAGE)).items] == [existing.id]


async def test_an_event_has_at_most_one_delivery_per_webhook(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    other = new_webhook(workspace)
    await store_webhooks(backend, other)
    first = new_delivery(webhook)
    same_event_elsewhere = replace(new_delivery(other), event_id=first.event_id)
    await store_deliveries(backend, first, same_event_elsewhere)
    async with backend.uow() as uow:
        with pytest.raises(Conflict):
            await uow.deliveries.add_many([replace(new_delivery(webhook), event_id=first.event_id)])
    pings = [new_ping(webhook), new_ping(webhook)]  # no event: any number
    await store_deliveries(backend, *pings)
    listed = (await backend.webhooks.deliveries(workspace.id, webhook.id, PAGE)).items
    assert {d.id for d in listed} == {first.id, *(p.id for p in pings)}


async def test_claim_due_takes_the_longest_due_first_up_to_the_limit(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    other = new_webhook(workspace)
    await store_webhooks(backend, other)
    tied = [new_delivery(webhook, created_at=BASE, due_at=NOW - timedelta(minutes=10)) for _ in range(3)]
    oldest = new_delivery(other, created_at=BASE, due_at=NOW - timedelta(hours=1))
    boundary = new_delivery(webhook, created_at=BASE, due_at=NOW)  # due exactly now: due
    due = [oldest, *by_id(tied), boundary]
    future = new_delivery(webhook, created_at=BASE, due_at=NOW + timedelta(microseconds=1))
    not_due = [
        future,
        succeeded(new_delivery(webhook, created_at=BASE)),
        dead(new_delivery(other, created_at=BASE)),
        new_ping(webhook, at=BASE).attempted(REFUSED, policy=POLICY, now=BASE, jitter=0.0),
        replace(new_delivery(webhook, created_at=BASE), next_attempt_at=None),  # pending without a time: never
    ]
    everything = [*due, *not_due]
    random.shuffle(everything)
    await store_deliveries(backend, *everything)
    first_lease, second_lease = uuid4(), uuid4()
    until = NOW + timedelta(seconds=60, microseconds=123)

    async with backend.uow() as uow:
        assert await uow.deliveries.claim_due(NOW, lease_id=first_lease, lease_until=until, limit=0) == []
        first = await uow.deliveries.claim_due(NOW, lease_id=first_lease, lease_until=until, limit=2)
        assert first == [d.claimed(first_lease, until) for d in due[:2]]
        rest = await uow.deliveries.claim_due(NOW, lease_id=second_lease, lease_until=until, limit=10)
        assert rest == [d.claimed(second_lease, until) for d in due[2:]]
        assert await uow.deliveries.claim_due(NOW, lease_id=uuid4(), lease_until=until, limit=10) == []
        await uow.commit()

    for delivery in [*first, *rest]:
        assert await stored(backend, delivery) == delivery
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.next_attempt_at == until
    for delivery in not_due:
        assert await stored(backend, delivery) == delivery

    # A lease that ran out (its worker died) makes the delivery due again; the tie is broken by id.
    third_lease = uuid4()
    async with backend.uow() as uow:
        again = await uow.deliveries.claim_due(
            until, lease_id=third_lease, lease_until=until + timedelta(hours=1), limit=10
        )
        assert again == [d.claimed(third_lease, until + timedelta(hours=1)) for d in [future, *by_id(due)]]


async def test_claims_left_uncommitted_are_not_kept(backend: Backend) -> None:
    _, webhook = await with_webhook(backend)
    delivery = new_delivery(webhook, created_at=BASE)
    await store_deliveries(backend, delivery)

    async with backend.uow() as uow:
        assert len(await uow.deliveries.claim_due(NOW, lease_id=uuid4(), lease_until=NOW, limit=5)) == 1
    assert await stored(backend, delivery) == delivery
    lease = uuid4()
    async with backend.uow() as uow:
        assert await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=NOW, limit=5) == [
            delivery.claimed(lease, NOW)
        ]


async def test_concurrent_claims_take_disjoint_deliveries(backend: Backend) -> None:
    if backend.name == "memory":
        pytest.skip(SERIAL_ONLY)
    _, webhook = await with_webhook(backend)
    deliveries = [new_delivery(webhook, created_at=BASE, due_at=BASE + timedelta(seconds=i)) for i in range(7)]
    await store_deliveries(backend, *deliveries)
    lease_a, lease_b = uuid4(), uuid4()

    async with backend.uow() as a, backend.uow() as b:
        taken_a = await a.deliveries.claim_due(NOW, lease_id=lease_a, lease_until=NOW + timedelta(minutes=1), limit=3)
        # Locked by `a`, not waited for: `b` takes the next ones at once (waiting would never end: `a` waits on `b`).
        claiming = b.deliveries.claim_due(NOW, lease_id=lease_b, lease_until=NOW + timedelta(minutes=1), limit=10)
        taken_b = await asyncio.wait_for(claiming, NO_WAIT)
        assert taken_a == [d.claimed(lease_a, NOW + timedelta(minutes=1)) for d in deliveries[:3]]
        assert taken_b == [d.claimed(lease_b, NOW + timedelta(minutes=1)) for d in deliveries[3:]]
        await b.commit()
        await a.commit()

    for delivery in [*taken_a, *taken_b]:
        assert await stored(backend, delivery) == delivery


async def test_finish_attempts_saves_only_results_whose_lease_still_holds(backend: Backend) -> None:
    _, webhook = await with_webhook(backend)
    x, y, z = (new_delivery(webhook, created_at=BASE, due_at=BASE + timedelta(seconds=i)) for i in range(3))
    untouched = new_delivery(webhook, created_at=BASE, due_at=NOW + timedelta(days=1))
    await store_deliveries(backend, x, y, z, untouched)
    lease, short, long = uuid4(), NOW + timedelta(seconds=10), NOW + timedelta(seconds=60)
    async with backend.uow() as uow:
        assert await uow.deliveries.finish_attempts([], lease) == set()
        (x_claimed,) = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=short, limit=1)
        y_claimed, z_claimed = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=long, limit=10)
        await uow.commit()

    # x's lease runs out before its result comes back, and another worker takes it.
    other_lease = uuid4()
    async with backend.uow() as uow:
        (x_again,) = await uow.deliveries.claim_due(short, lease_id=other_lease, lease_until=long, limit=10)
        await uow.commit()
    assert x_again == x_claimed.claimed(other_lease, long)

    at = NOW + timedelta(seconds=3, microseconds=333)
    x_late = x_claimed.attempted(OK, policy=POLICY, now=at, jitter=0.5)
    y_done = y_claimed.attempted(OK, policy=POLICY, now=at, jitter=0.5)
    z_retry = z_claimed.attempted(UNAVAILABLE, policy=POLICY, now=at, jitter=0.75)
    never_claimed = untouched.attempted(OK, policy=POLICY, now=at, jitter=0.5)
    unknown = replace(y_done, id=uuid4())
    async with backend.uow() as uow:
        saved = await uow.deliveries.finish_attempts([z_retry, x_late, never_claimed, unknown, y_done], lease)
        assert saved == {y.id, z.id}
        await uow.commit()
    assert await stored(backend, x) == x_again  # the late result was dropped
    assert await stored(backend, y) == y_done
    assert await stored(backend, z) == z_retry
    assert await stored(backend, untouched) == untouched
    assert y_done.status is DeliveryStatus.SUCCEEDED
    assert z_retry.status is DeliveryStatus.PENDING

    x_dead = x_again.attempted(REFUSED, policy=NO_RETRIES, now=at, jitter=0.5)
    async with backend.uow() as uow:
        assert await uow.deliveries.finish_attempts([x_dead], other_lease) == {x.id}
        assert await uow.deliveries.finish_attempts([x_dead], other_lease) == set()  # the lease ended with it
        await uow.commit()
    assert await stored(backend, x) == x_dead
    assert x_dead.status is DeliveryStatus.DEAD_LETTERED
    assert x_dead.lease_id is None
    assert await stored(backend, x) == x_dead


async def test_get_for_update_is_scoped_by_workspace_and_webhook(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhook, sibling, foreign = new_webhook(mine), new_webhook(mine), new_webhook(theirs)
    await store_webhooks(backend, webhook, sibling, foreign)
    delivery = new_delivery(webhook)
    await store_deliveries(backend, delivery, new_delivery(foreign))

    async with backend.uow() as uow:
        assert await uow.deliveries.get_for_update(mine.id, webhook.id, delivery.id) == delivery
        assert await uow.deliveries.get_for_update(mine.id, sibling.id, delivery.id) is None
        assert await uow.deliveries.get_for_update(theirs.id, webhook.id, delivery.id) is None
        assert await uow.deliveries.get_for_update(theirs.id, foreign.id, delivery.id) is None
        assert await uow.deliveries.get_for_update(mine.id, webhook.id, uuid4()) is None
    assert await backend.webhooks.delivery_detail(mine.id, webhook.id, delivery.id) == DeliveryDetail(
        delivery=delivery, attempts=()
    )
    assert await backend.webhooks.delivery_detail(mine.id, sibling.id, delivery.id) is None
    assert await backend.webhooks.delivery_detail(theirs.id, webhook.id, delivery.id) is None
    assert await backend.webhooks.delivery_detail(mine.id, webhook.id, uuid4()) is None


async def test_save_persists_every_mutable_field_whatever_the_lease(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    other = new_webhook(workspace)
    await store_webhooks(backend, other)
    delivery = new_delivery(webhook, created_at=BASE)
    await store_deliveries(backend, delivery)
    lease = uuid4()
    async with backend.uow() as uow:
        (claimed,) = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=NOW, limit=1)
        await uow.commit()

    gave_up = claimed.dead_lettered("the webhook was disabled ⛔", NOW + timedelta(microseconds=17))
    async with backend.uow() as uow:
        found = await uow.deliveries.get_for_update(workspace.id, webhook.id, delivery.id)
        assert found == claimed
        await uow.deliveries.save(gave_up)
        await uow.commit()
    assert await stored(backend, delivery) == gave_up

    replayed = gave_up.replayed(NOW + timedelta(days=1, microseconds=1))
    tampered = replace(
        replayed,
        subscription_id=other.id,
        event_id=uuid4(),
        event_type="job.failed",
        body=b"another body",
        created_at=NOW,
    )
    async with backend.uow() as uow:
        await uow.deliveries.save(tampered)  # only the mutable fields are the save's to change
        await uow.deliveries.save(new_delivery(webhook))  # no such delivery: nothing happens
        await uow.commit()
    assert await stored(backend, delivery) == replayed
    assert await backend.webhooks.delivery_detail(workspace.id, other.id, delivery.id) is None
    assert [d.id for d in (await backend.webhooks.deliveries(workspace.id, webhook.id, PAGE)).items] == [delivery.id]


async def test_dead_letter_pending_touches_only_the_pending_deliveries_of_that_webhook(backend: Backend) -> None:
    workspace, webhook = await with_webhook(backend)
    other = new_webhook(workspace)
    await store_webhooks(backend, other)
    leased_lease = uuid4()
    due, later = new_delivery(webhook, created_at=BASE), new_delivery(webhook, due_at=NOW + timedelta(days=1))
    leased = new_delivery(webhook, created_at=BASE - timedelta(minutes=1))
    finished = [succeeded(new_delivery(webhook)), dead(new_delivery(webhook), "earlier")]
    ping = new_ping(webhook, at=BASE).attempted(REFUSED, policy=POLICY, now=BASE, jitter=0.0)
    elsewhere = new_delivery(other, created_at=BASE)
    await store_deliveries(backend, due, later, leased, *finished, ping, elsewhere)
    async with backend.uow() as uow:
        (leased_now,) = await uow.deliveries.claim_due(BASE, lease_id=leased_lease, lease_until=NOW, limit=1)
        await uow.commit()
    assert leased_now.id == leased.id
    reason = "the webhook was disabled: " + "ünïcode " * 60
    at = NOW + timedelta(microseconds=999)

    async with backend.uow() as uow:
        assert await uow.deliveries.dead_letter_pending(webhook.id, reason, at) == 3
        assert await uow.deliveries.dead_letter_pending(webhook.id, reason, at) == 0
        assert await uow.deliveries.dead_letter_pending(uuid4(), reason, at) == 0
        await uow.commit()

    for before in (due, later, leased_now):
        after = await stored(backend, before)
        assert after == before.dead_lettered(reason, at)
        assert after is not None
        assert after.lease_id is None
        assert len(after.last_error or "") == 300
    for unchanged in (*finished, ping, elsewhere):
        assert await stored(backend, unchanged) == unchanged


async def test_bodies_are_kept_byte_for_byte(backend: Backend) -> None:
    _, webhook = await with_webhook(backend)
    bodies = [
        b"\x00\xff\xfe\x80\x81 binary\r\n\x00\x00",
        '{"data":{"name":"Zoë Ørsted","city":"Zürich ✓","emoji":"🚀"},"n":1.50}'.encode(),
        b'{"a":1,  "b":[ ]}\n',  # spacing a JSON column would normalize
        b"",
        bytes(range(256)) * 4,
    ]
    deliveries = [replace(new_delivery(webhook, created_at=BASE), body=body) for body in bodies]
    await store_deliveries(backend, *deliveries)

    for delivery in deliveries:
        read = await stored(backend, delivery)
        assert read is not None
        assert read.body == delivery.body
        assert type(read.body) is bytes
    lease = uuid4()
    async with backend.uow() as uow:
        claimed = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=NOW, limit=10)
        assert {d.id: d.body for d in claimed} == {d.id: d.body for d in deliveries}
        for delivery in deliveries:
            locked = await uow.deliveries.get_for_update(delivery.workspace_id, webhook.id, delivery.id)
            assert locked is not None
            assert locked.body == delivery.body


# The attempt log


async def test_every_attempt_is_kept_oldest_first_with_every_field_and_a_replay_appends(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhook, sibling = new_webhook(mine), new_webhook(mine)
    await store_webhooks(backend, webhook, sibling)
    delivery, quiet = new_delivery(webhook, created_at=BASE), new_delivery(webhook, created_at=BASE)
    await store_deliveries(backend, delivery, quiet)
    rambling = AttemptOutcome(
        status_code=500, latency_ms=10_001, response_excerpt="é☕ " * 400, error="the receiver answered 500 ü" * 20
    )
    retried, entries = tried(delivery, UNAVAILABLE, REFUSED, rambling, OK)
    assert retried.status is DeliveryStatus.SUCCEEDED
    await store_attempts(backend, *entries[:2])  # appended in the order given, and across units of work
    for entry in entries[2:]:
        await store_attempts(backend, entry)
    ping = new_ping(webhook, at=BASE)
    _, (ping_attempt,) = tried(ping, REFUSED)
    async with backend.uow() as uow:  # a ping is stored with its only attempt
        await uow.deliveries.add_many([ping])
        await uow.deliveries.add_attempts([ping_attempt])
        await uow.commit()

    logged = await stored_attempts(backend, delivery)
    assert logged == tuple(entries)
    assert logged is not None
    assert [a.number for a in logged] == [1, 2, 3, 4]
    assert [a.outcome.status_code for a in logged] == [503, None, 500, 204]
    assert logged[1].started_at == NOW + timedelta(minutes=1, microseconds=2)  # to the microsecond
    assert (len(logged[2].outcome.response_excerpt), len(logged[2].outcome.error or "")) == (1024, 300)
    assert await stored_attempts(backend, ping) == (ping_attempt,)
    assert await stored_attempts(backend, quiet) == ()
    assert await backend.webhooks.delivery_detail(mine.id, webhook.id, delivery.id) == DeliveryDetail(
        delivery=delivery, attempts=tuple(entries)
    )
    assert await backend.webhooks.delivery_detail(mine.id, sibling.id, delivery.id) is None
    assert await backend.webhooks.delivery_detail(theirs.id, webhook.id, delivery.id) is None

    replayed = retried.replayed(NOW + timedelta(days=1))
    again = replayed.attempt_entry(OK, NOW + timedelta(days=1, seconds=1))
    async with backend.uow() as uow:
        await uow.deliveries.save(replayed)
        await uow.deliveries.add_attempts([again])
        await uow.commit()
    assert await stored_attempts(backend, delivery) == (*entries, again)
    assert again.number == 1, "numbered as X-Cascade-Attempt: from 1 again after a replay"


async def test_an_attempt_of_no_delivery_is_a_conflict_that_aborts_and_uncommitted_ones_are_not_kept(
    backend: Backend,
) -> None:
    _, webhook = await with_webhook(backend)
    delivery = new_delivery(webhook)
    await store_deliveries(backend, delivery)
    _, (attempt,) = tried(delivery, OK)

    async with backend.uow() as uow:
        await uow.deliveries.add_attempts([attempt])
        with pytest.raises(Conflict):
            await uow.deliveries.add_attempts([replace(attempt, delivery_id=uuid4())])
        await uow.commit()
    assert await stored_attempts(backend, delivery) == ()
    async with backend.uow() as uow:
        await uow.deliveries.add_attempts([])
        await uow.deliveries.add_attempts([attempt])
    assert await stored_attempts(backend, delivery) == ()
    await store_attempts(backend, attempt)
    assert await stored_attempts(backend, delivery) == (attempt,)


# Reading


async def test_webhooks_are_listed_oldest_first_in_pages(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhooks = [new_webhook(mine, created_at=BASE + offset) for offset in OFFSETS]
    await store_webhooks(backend, *webhooks, new_webhook(theirs, created_at=BASE))
    expected = sorted(webhooks, key=lambda w: (w.created_at, w.id))

    for limit in LIMITS:
        pages = await all_pages(lambda page: backend.webhooks.list(mine.id, page), limit)
        assert [w for page in pages for w in page.items] == expected
        assert_paged(pages, expected, limit)
    empty = await backend.webhooks.list(uuid4(), PAGE)
    assert empty.items == []
    assert empty.next_cursor is None


async def test_deliveries_are_listed_newest_first_in_pages_optionally_of_one_status(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    webhook, sibling = new_webhook(mine), new_webhook(mine)
    await store_webhooks(backend, webhook, sibling)

    def made(i: int, at: datetime) -> Delivery:
        if i % 4 == 3:
            return new_ping(webhook, at=at).attempted(REFUSED, policy=POLICY, now=at, jitter=0.0)
        fresh = new_delivery(webhook, created_at=at)
        return [fresh, succeeded(fresh), dead(fresh)][i % 4]

    def fetch(status: DeliveryStatus | None) -> Callable[[PageRequest], Awaitable[Page[Delivery]]]:
        return lambda page: backend.webhooks.deliveries(mine.id, webhook.id, page, status)

    deliveries = [made(i, BASE + offset) for i, offset in enumerate(OFFSETS)]
    await store_deliveries(backend, *deliveries, new_delivery(sibling, created_at=BASE))
    newest_first = sorted(deliveries, key=lambda d: (d.created_at, d.id), reverse=True)

    for limit in LIMITS:
        pages = await all_pages(fetch(None), limit)
        assert [d for page in pages for d in page.items] == newest_first
        assert_paged(pages, newest_first, limit)
        for status in DeliveryStatus:
            of_status = [d for d in newest_first if d.status is status]
            assert of_status, "every status is on the list"
            pages = await all_pages(fetch(status), limit)
            assert [d for page in pages for d in page.items] == of_status
            assert_paged(pages, of_status, limit)
    assert (await backend.webhooks.deliveries(theirs.id, webhook.id, PAGE)).items == []
    assert (await backend.webhooks.deliveries(mine.id, uuid4(), PAGE)).items == []


async def test_deleting_the_workspace_deletes_its_webhooks_and_deliveries(backend: Backend) -> None:
    doomed, kept = await two_workspaces(backend)
    gone, survivor = new_webhook(doomed), new_webhook(kept)
    await store_webhooks(backend, gone, survivor)
    lost = [new_delivery(gone, created_at=BASE), dead(new_delivery(gone))]
    saved = [new_delivery(survivor, created_at=BASE), succeeded(new_delivery(survivor))]
    await store_deliveries(backend, *lost, *saved)
    _, lost_attempts = tried(lost[1], REFUSED, REFUSED)
    _, saved_attempts = tried(saved[1], OK)
    await store_attempts(backend, *lost_attempts, *saved_attempts)

    async with backend.uow() as uow:
        await uow.workspaces.delete(doomed.id)
        await uow.commit()

    assert await backend.webhooks.get(doomed.id, gone.id) is None
    assert (await backend.webhooks.list(doomed.id, PAGE)).items == []
    assert (await backend.webhooks.deliveries(doomed.id, gone.id, PAGE)).items == []
    for delivery in lost:
        assert await stored(backend, delivery) is None
    assert await backend.webhooks.get(kept.id, survivor.id) == survivor
    for delivery in saved:
        assert await stored(backend, delivery) == delivery
    assert await stored_attempts(backend, saved[1]) == tuple(saved_attempts)
    remade = replace(lost[1], workspace_id=kept.id, subscription_id=survivor.id)  # its attempts went with it
    await store_deliveries(backend, remade)
    assert await stored_attempts(backend, remade) == ()
    async with backend.uow() as uow:
        assert await uow.webhooks.count(doomed.id) == 0
        assert await uow.webhooks.subscribers([doomed.id, kept.id]) == [survivor]
        assert await uow.webhooks.lock_many([gone.id]) == []
        lease = uuid4()
        claimed = await uow.deliveries.claim_due(NOW, lease_id=lease, lease_until=NOW, limit=10)
        assert claimed == [saved[0].claimed(lease, NOW)]


# The outbox's publishing side


def event(workspace_id: UUID, *, seconds: float) -> Event:
    return Event(
        id=uuid4(),
        workspace_id=workspace_id,
        type=EventType.RECORD_ENRICHED,
        data={"recordId": str(uuid4())},
        occurred_at=BASE + timedelta(seconds=seconds, microseconds=1),
    )


async def stored_events(backend: Backend, *events: Event) -> None:
    async with backend.uow() as uow:
        await uow.events.add(list(events))
        await uow.commit()


async def test_unpublished_events_are_claimed_oldest_first_until_marked_published(backend: Backend) -> None:
    mine, theirs = await two_workspaces(backend)
    tied = [event(mine.id, seconds=2) for _ in range(3)]
    oldest, newest = event(theirs.id, seconds=1), event(mine.id, seconds=3)
    oldest_first = [oldest, *sorted(tied, key=lambda e: e.id), newest]
    await stored_events(backend, newest, *tied, oldest)

    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(0) == []
        assert await uow.events.claim_unpublished(2) == oldest_first[:2]
        assert await uow.events.claim_unpublished(10) == oldest_first
        await uow.events.mark_published([e.id for e in oldest_first[:2]], NOW)
        await uow.events.mark_published([], NOW)
        await uow.events.mark_published([uuid4()], NOW)  # no such event: nothing happens
        assert await uow.events.claim_unpublished(10) == oldest_first[2:]  # seen in its unit of work
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(10) == oldest_first[2:]
        await uow.events.mark_published([oldest_first[2].id, oldest_first[0].id], NOW + timedelta(seconds=1))
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(10) == oldest_first[3:]
    assert await backend.events.recent(mine.id, 10) == [newest, *sorted(tied, key=lambda e: e.id, reverse=True)]


async def test_marks_left_uncommitted_are_not_kept(backend: Backend) -> None:
    workspace, _ = await two_workspaces(backend)
    events = [event(workspace.id, seconds=i) for i in range(3)]
    await stored_events(backend, *events)

    async with backend.uow() as uow:
        await uow.events.mark_published([e.id for e in events], NOW)
        assert await uow.events.claim_unpublished(10) == []
    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(10) == events
        await uow.commit()
        await uow.events.mark_published([events[0].id], NOW)  # after the commit: rolled back on exit
    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(10) == events


async def test_concurrent_publishers_claim_disjoint_events(backend: Backend) -> None:
    if backend.name == "memory":
        pytest.skip(SERIAL_ONLY)
    workspace, _ = await two_workspaces(backend)
    events = [event(workspace.id, seconds=i) for i in range(5)]
    await stored_events(backend, *events)

    async with backend.uow() as a, backend.uow() as b:
        assert await a.events.claim_unpublished(2) == events[:2]
        # `a` holds the first two: skipped, not waited on.
        assert await asyncio.wait_for(b.events.claim_unpublished(10), NO_WAIT) == events[2:]
        await a.events.mark_published([e.id for e in events[:2]], NOW)
        await a.commit()
        # `b` dies without marking anything: its events wait for the next publisher.
    async with backend.uow() as uow:
        assert await uow.events.claim_unpublished(10) == events[2:]


async def test_an_event_goes_to_the_subscriptions_that_existed_when_it_happened(backend: Backend) -> None:
    """A subscription made while an earlier event still waits in the outbox does not get that event."""
    workspace, _ = await two_workspaces(backend)
    before = new_webhook(workspace, created_at=BASE)
    after = new_webhook(workspace, created_at=BASE + timedelta(seconds=5))
    await store_webhooks(backend, before, after)
    earlier, later = event(workspace.id, seconds=2), event(workspace.id, seconds=10)
    await stored_events(backend, earlier, later)

    assert await PublishEvents(backend.uow(), SystemClock(), Uuid7Generator())() == 2
    page = PageRequest.of(limit=50, cursor=None)
    got_before = (await backend.webhooks.deliveries(workspace.id, before.id, page)).items
    got_after = (await backend.webhooks.deliveries(workspace.id, after.id, page)).items
    assert sorted(d.event_id for d in got_before if d.event_id) == sorted([earlier.id, later.id])
    assert [d.event_id for d in got_after] == [later.id]
