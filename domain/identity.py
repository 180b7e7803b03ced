"""Users and the rules on their credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import ErrorDetail, ValidationFailed

MIN_PASSWORD_LENGTH = 10
# argon2 cost grows with input; an upper bound keeps one request from burning CPU.
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(raw: str) -> str:
    """Emails compare case-insensitively and without surrounding whitespace."""
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(
            "invalid email address",
            details=(ErrorDetail(field="email", message="not a valid email address"),),
        )
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
    name = " ".join(raw.split())
    if _CONTROL.search(name):
        raise ValidationFailed(
            f"{field} must not contain control characters",
            details=(ErrorDetail(field=field, message="control character"),),
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
