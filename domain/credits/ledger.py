"""Credits: an append-only ledger, an account per workspace, reservations for jobs.

`balance` is what the workspace owns, `reserved` what running jobs hold,
`available = balance - reserved` what can still be spent; it never goes
below zero. Every mutation is a `CreditRequest` with an idempotency key:
replaying the same request returns the first entry; the same key with other
content is a `Conflict`. `apply` is the one statement of the rules; each
adapter persists what it returns.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from uuid import UUID

from domain.kernel.errors import Conflict, ErrorDetail, InsufficientCredits, NotFound, ValidationFailed

MAX_AMOUNT = 1_000_000_000
MAX_IDEMPOTENCY_KEY_LENGTH = 200
MAX_REASON_LENGTH = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are fine in a reason


class EntryKind(Enum):
    GRANT = "grant"
    PURCHASE = "purchase"
    RESERVE = "reserve"
    RELEASE = "release"
    CHARGE = "charge"
    REFUND = "refund"
    EXPIRE = "expire"


# How each kind moves the balance; reserve and release only move `reserved`.
BALANCE_SIGN = {
    EntryKind.GRANT: 1,
    EntryKind.PURCHASE: 1,
    EntryKind.REFUND: 1,
    EntryKind.CHARGE: -1,
    EntryKind.EXPIRE: -1,
    EntryKind.RESERVE: 0,
    EntryKind.RELEASE: 0,
}


@dataclass(slots=True, kw_only=True, frozen=True)
class CreditAccount:
    workspace_id: UUID
    balance: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(slots=True, kw_only=True, frozen=True)
class Reservation:
    id: UUID
    workspace_id: UUID
    amount: int
    remaining: int
    created_at: datetime
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(slots=True, kw_only=True, frozen=True)
class CreditRequest:
    """One mutation asked of the ledger. `reservation_id` names the reservation
    a reserve creates or a charge/release settles; `reference_id` the charge a
    refund returns."""

    workspace_id: UUID
    kind: EntryKind
    amount: int
    idempotency_key: str
    reason: str = ""
    actor_id: UUID | None = None
    reservation_id: UUID | None = None
    reference_id: UUID | None = None

    @property
    def fingerprint(self) -> str:
        parts = (self.kind.value, self.amount, self.reservation_id, self.reference_id, self.reason)
        return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()

    def validate(self) -> None:
        check_idempotency_key(self.idempotency_key)
        if len(self.reason) > MAX_REASON_LENGTH or _CONTROL.search(self.reason):
            raise _invalid("reason", f"must be at most {MAX_REASON_LENGTH} characters, without control characters")
        low = 0 if self.kind is EntryKind.RELEASE else 1
        if not low <= self.amount <= MAX_AMOUNT:
            raise _invalid("amount", f"must be between {low} and {MAX_AMOUNT}")
        needs_reservation = self.kind in (EntryKind.RESERVE, EntryKind.RELEASE)
        if needs_reservation and self.reservation_id is None:
            raise _invalid("reservationId", f"a {self.kind.value} needs a reservation id")
        if self.kind is EntryKind.REFUND and self.reference_id is None:
            raise _invalid("referenceId", "a refund names the charge it returns")


@dataclass(slots=True, kw_only=True, frozen=True)
class LedgerEntry:
    id: UUID
    workspace_id: UUID
    kind: EntryKind
    amount: int
    balance_after: int
    reserved_after: int
    idempotency_key: str
    fingerprint: str
    reason: str
    actor_id: UUID | None
    reservation_id: UUID | None
    reference_id: UUID | None
    created_at: datetime


def available_after(entry: LedgerEntry) -> int:
    return entry.balance_after - entry.reserved_after


def available_before(entry: LedgerEntry) -> int:
    """What was available just before the entry was posted."""
    if entry.kind in (EntryKind.RESERVE, EntryKind.EXPIRE) or (
        entry.kind is EntryKind.CHARGE and entry.reservation_id is None
    ):
        return available_after(entry) + entry.amount
    if entry.kind in (EntryKind.GRANT, EntryKind.PURCHASE, EntryKind.REFUND, EntryKind.RELEASE):
        return available_after(entry) - entry.amount
    return available_after(entry)  # a charge against a reservation spends what was already set aside


@dataclass(slots=True, kw_only=True, frozen=True)
class LowCreditPolicy:
    """`credits.low` fires when available credits fall from `threshold` or more to below it (0: never)."""

    threshold: int = 0

    def crossed(self, before: int, after: int) -> bool:
        return self.threshold > 0 and before >= self.threshold > after


NEVER_LOW = LowCreditPolicy()


@dataclass(slots=True, kw_only=True, frozen=True)
class Posting:
    """What a request changes: the account afterwards, the reservation it touched, the entry."""

    account: CreditAccount
    reservation: Reservation | None
    entry: LedgerEntry


def replay(existing: LedgerEntry, request: CreditRequest) -> LedgerEntry:
    """A request whose key was used before: the first entry, or a `Conflict` if it differs."""
    if existing.fingerprint != request.fingerprint:
        raise Conflict("idempotency key was already used for a different request")
    return existing


def apply(
    account: CreditAccount,
    request: CreditRequest,
    *,
    entry_id: UUID,
    at: datetime,
    reservation: Reservation | None = None,
    refundable: int | None = None,
) -> Posting:
    """Apply one request to an account. `reservation` is the one the request
    names (None if it does not exist); `refundable` what is left to refund of
    the referenced charge (None if there is no such charge)."""
    request.validate()
    kind, amount = request.kind, request.amount
    balance, reserved = account.balance, account.reserved
    touched: Reservation | None = None
    if kind in (EntryKind.GRANT, EntryKind.PURCHASE):
        balance += amount
    elif kind is EntryKind.REFUND:
        if refundable is None:
            raise NotFound("no such charge to refund")
        if amount > refundable:
            raise Conflict(f"only {refundable} credits of that charge are left to refund")
        balance += amount
    elif kind is EntryKind.RESERVE:
        if reservation is not None:
            raise Conflict("that reservation already exists")
        _require_available(account, amount)
        reserved += amount
        assert request.reservation_id is not None
        touched = Reservation(
            id=request.reservation_id, workspace_id=account.workspace_id, amount=amount, remaining=amount, created_at=at
        )
    elif kind is EntryKind.RELEASE:
        open_reservation = _open(reservation)
        amount = open_reservation.remaining
        reserved -= amount
        touched = replace(open_reservation, remaining=0, closed_at=at)
    elif kind is EntryKind.CHARGE and request.reservation_id is not None:
        open_reservation = _open(reservation)
        if amount > open_reservation.remaining:
            raise InsufficientCredits(f"the reservation holds only {open_reservation.remaining} more credits")
        balance -= amount
        reserved -= amount
        touched = replace(open_reservation, remaining=open_reservation.remaining - amount)
    else:  # a charge without a reservation, or an expiry
        _require_available(account, amount)
        balance -= amount
    after = replace(account, balance=balance, reserved=reserved)
    entry = LedgerEntry(
        id=entry_id,
        workspace_id=account.workspace_id,
        kind=kind,
        amount=amount,
        balance_after=balance,
        reserved_after=reserved,
        idempotency_key=request.idempotency_key,
        fingerprint=request.fingerprint,
        reason=request.reason,
        actor_id=request.actor_id,
        reservation_id=request.reservation_id,
        reference_id=request.reference_id,
        created_at=at,
    )
    return Posting(account=after, reservation=touched, entry=entry)


def check_idempotency_key(key: str, *, max_length: int = MAX_IDEMPOTENCY_KEY_LENGTH) -> None:
    if not 0 < len(key) <= max_length or _CONTROL.search(key):
        raise _invalid("idempotencyKey", f"must be 1 to {max_length} characters, without control characters")


def _require_available(account: CreditAccount, amount: int) -> None:
    if amount > account.available:
        raise InsufficientCredits(f"{amount} credits needed, {account.available} available")


def _open(reservation: Reservation | None) -> Reservation:
    if reservation is None:
        raise NotFound("no such reservation")
    if not reservation.is_open:
        raise Conflict("the reservation is already settled")
    return reservation


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} {message}", details=(ErrorDetail(field=field, message=message),))
