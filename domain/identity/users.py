"""Users and the rules on their credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.kernel.errors import ErrorDetail, ValidationFailed
from domain.kernel.text import hidden_character, nfc

MIN_PASSWORD_LENGTH = 10
# argon2 cost grows with input; an upper bound keeps one request from burning CPU.
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 200
_LOCAL_PART = re.compile(r"^[^@\s]{1,64}$")
# The domain once in its IDNA (ASCII) form: LDH labels, at least two, a top-level label not all digits.
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _invalid_email() -> ValidationFailed:
    return ValidationFailed(
        "invalid email address", details=(ErrorDetail(field="email", message="not a valid email address"),)
    )


def _ascii_label(label: str) -> str:
    """An internationalized label in its ACE form (`bücher` is `xn--bcher-kva`), as the DNS knows it."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def normalize_email(raw: str) -> str:
    """One spelling per address: trimmed, NFC, lower-case, the domain in its IDNA form.

    So the NFC and NFD spellings of an address are one account, and `ann@Bücher.example` is
    `ann@xn--bcher-kva.example`. Invisible and bidirectional-control characters are refused.
    """
    email = nfc(raw.strip().lower())
    local, at, host = email.rpartition("@")
    if not at or hidden_character(email) is not None or not _LOCAL_PART.match(local):
        raise _invalid_email()
    try:
        labels = [_ascii_label(label) for label in host.split(".")]
    except UnicodeError:
        raise _invalid_email() from None
    if len(labels) < 2 or labels[-1].isdigit() or not all(_HOST_LABEL.match(label) for label in labels):
        raise _invalid_email()
    email = f"{local}@{'.'.join(labels)}"
    if len(email) > 254:
        raise _invalid_email()
    return email


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters",
            details=(ErrorDetail(field="password", message="too short"),),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password must be at most {MAX_PASSWORD_LENGTH} characters",
            details=(ErrorDetail(field="password", message="too long"),),
        )


def clean_name(raw: str, *, field: str = "name", max_length: int = MAX_NAME_LENGTH) -> str:
    """Whitespace collapsed, NFC; no control, invisible or bidirectional-control characters (joiners are letters)."""
    name = nfc(" ".join(raw.split()))
    if _CONTROL.search(name):
        raise ValidationFailed(
            f"{field} must not contain control characters",
            details=(ErrorDetail(field=field, message="control character"),),
        )
    hidden = hidden_character(name, allow_joiners=True)
    if hidden is not None:
        raise ValidationFailed(
            f"{field} must not contain invisible or bidirectional-control characters ({hidden})",
            details=(ErrorDetail(field=field, message="invisible character"),),
        )
    if not name or len(name) > max_length:
        raise ValidationFailed(
            f"{field} must be 1 to {max_length} characters",
            details=(ErrorDetail(field=field, message="bad length"),),
        )
    return name


@dataclass(slots=True, kw_only=True)
class User:
    id: UUID
    email: str
    name: str
    password_hash: str
    is_platform_admin: bool
    created_at: datetime
