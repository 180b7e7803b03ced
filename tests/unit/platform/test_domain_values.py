from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identity.users import check_password_policy, clean_name, normalize_email
from domain.kernel.errors import Conflict, Forbidden, ValidationFailed
from domain.kernel.pagination import Cursor, PageRequest
from domain.kernel.permissions import Role
from domain.team.invitations import Invitation, InvitationStatus

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["Ann@Example.com", "  ann@example.com\t", "ANN@EXAMPLE.COM"])
def test_emails_normalize_to_one_form(raw: str) -> None:
    assert normalize_email(raw) == "ann@example.com"


@pytest.mark.parametrize(
    "raw", ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "x" * 250 + "@a.io"]
)
def test_bad_emails_are_validation_errors(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_email(raw)


def test_password_policy_bounds() -> None:
    check_password_policy("x" * 10)
    for bad in ("x" * 9, "x" * 257):
        with pytest.raises(ValidationFailed):
            check_password_policy(bad)


def test_names_collapse_whitespace_and_are_bounded() -> None:
    assert clean_name("  Ann \n Lee ") == "Ann Lee"
    with pytest.raises(ValidationFailed):
        clean_name("   ")


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_cursor_round_trips(at: datetime, id_: object) -> None:
    cursor = Cursor(created_at=at, id=id_)  # type: ignore[arg-type]
    assert Cursor.decode(cursor.encode()) == cursor


@given(st.text(max_size=80))
def test_garbage_cursors_are_validation_errors_never_crashes(token: str) -> None:
    with contextlib.suppress(ValidationFailed):
        Cursor.decode(token)


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_page_limits_are_bounded(limit: int) -> None:
    with pytest.raises(ValidationFailed):
        PageRequest.of(limit=limit, cursor=None)


def invitation(**overrides: object) -> Invitation:
    values: dict[str, object] = {
        "id": uuid4(),
        "workspace_id": uuid4(),
        "email": "bob@example.com",
        "role": Role.MEMBER,
        "token_hash": "h",
        "invited_by": uuid4(),
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=7),
        **overrides,
    }
    return Invitation(**values)  # type: ignore[arg-type]


def test_invitation_lifecycle() -> None:
    invite = invitation()
    assert invite.status(NOW) is InvitationStatus.PENDING
    assert invite.status(NOW + timedelta(days=7)) is InvitationStatus.EXPIRED
    with pytest.raises(Forbidden):
        invite.accept(user_id=uuid4(), email="eve@example.com", now=NOW)
    invite.accept(user_id=uuid4(), email="bob@example.com", now=NOW)
    assert invite.status(NOW) is InvitationStatus.ACCEPTED
    with pytest.raises(Conflict):
        invite.accept(user_id=uuid4(), email="bob@example.com", now=NOW)
    with pytest.raises(Conflict):
        invite.revoke(NOW)


def test_expired_or_revoked_invitations_cannot_be_accepted() -> None:
    with pytest.raises(Conflict):
        invitation().accept(user_id=uuid4(), email="bob@example.com", now=NOW + timedelta(days=8))
    revoked = invitation()
    revoked.revoke(NOW)
    assert revoked.status(NOW) is InvitationStatus.REVOKED
    with pytest.raises(Conflict):
        revoked.accept(user_id=uuid4(), email="bob@example.com", now=NOW)
