"""`credits.low`: when a posting takes available credits from the threshold or more to below it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.credits.ledger import (
    NEVER_LOW,
    CreditAccount,
    CreditRequest,
    EntryKind,
    LowCreditPolicy,
    Reservation,
    apply,
    available_after,
    available_before,
)

AT = datetime(2026, 11, 27, tzinfo=UTC)
WORKSPACE = uuid4()


@pytest.mark.parametrize(
    ("before", "after", "crossed"),
    [
        (50, 49, True),  # from the threshold to below it
        (120, 0, True),
        (49, 10, False),  # already below: it fired when it fell
        (50, 50, False),  # not below
        (40, 60, False),  # rising
        (60, 51, False),
    ],
)
def test_a_fall_from_the_threshold_to_below_it_is_a_crossing(before: int, after: int, crossed: bool) -> None:
    assert LowCreditPolicy(threshold=50).crossed(before, after) is crossed


def test_a_zero_threshold_never_fires() -> None:
    assert not NEVER_LOW.crossed(10, -1)
    assert not LowCreditPolicy(threshold=0).crossed(1, 0)


def posted(kind: EntryKind, amount: int, *, balance: int = 100, reserved: int = 0, reservation: bool = False) -> int:
    """How available credits moved: `available_before` must give back what was available before `apply`."""
    account = CreditAccount(workspace_id=WORKSPACE, balance=balance, reserved=reserved)
    reservation_id = uuid4() if kind in (EntryKind.RESERVE, EntryKind.RELEASE) or reservation else None
    held = (
        Reservation(id=reservation_id, workspace_id=WORKSPACE, amount=reserved, remaining=reserved, created_at=AT)
        if reservation_id and kind is not EntryKind.RESERVE
        else None
    )
    request = CreditRequest(
        workspace_id=WORKSPACE, kind=kind, amount=amount, idempotency_key="k", reservation_id=reservation_id,
        reference_id=uuid4() if kind is EntryKind.REFUND else None,
    )  # fmt: skip
    entry = apply(account, request, entry_id=uuid4(), at=AT, reservation=held, refundable=amount).entry
    assert available_before(entry) == account.available, kind
    return available_after(entry) - account.available


def test_available_before_undoes_every_kind_of_posting() -> None:
    assert posted(EntryKind.GRANT, 30) == 30
    assert posted(EntryKind.PURCHASE, 30) == 30
    assert posted(EntryKind.REFUND, 5) == 5
    assert posted(EntryKind.RESERVE, 40) == -40
    assert posted(EntryKind.RELEASE, 0, reserved=25) == 25
    assert posted(EntryKind.CHARGE, 7) == -7
    assert posted(EntryKind.CHARGE, 7, reserved=20, reservation=True) == 0, "spends what was set aside"
    assert posted(EntryKind.EXPIRE, 9) == -9
