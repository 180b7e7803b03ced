"""One hierarchy of domain errors, each with a stable code.

The HTTP edge maps codes to statuses in exactly one table
(`entrypoints/http/errors.py`); nothing below it knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, kw_only=True, frozen=True)
class ErrorDetail:
    field: str
    message: str


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, *, details: tuple[ErrorDetail, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    code = "VALIDATION_FAILED"


class TargetRefused(ValidationFailed):
    """A URL the scraper (or a webhook) must not reach: bad scheme, or an address it refuses. The message says why."""


class FetchFailed(DomainError):
    """The site could not be fetched: network error, timeout, an over-large answer, too many redirects."""

    code = "FETCH_FAILED"


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"


class ServiceKeyRefused(Unauthorized):
    """A service-to-service key (`X-Service-Key`) was missing or wrong."""


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class InsufficientCredits(DomainError):
    code = "INSUFFICIENT_CREDITS"


class ServiceUnavailable(DomainError):
    """A dependency we cannot do without (the database) is unreachable."""

    code = "SERVICE_UNAVAILABLE"


class SecretUnreadable(DomainError):
    """A stored secret failed to decrypt: tampered, moved to another row, or under an unknown key.

    Its message never carries the secret or the key.
    """

    code = "INTERNAL"


class RateLimited(DomainError):
    """A budget of requests is spent: try again in `retry_after_seconds`; `limit` is the budget's size."""

    code = "RATE_LIMITED"

    def __init__(
        self, retry_after_seconds: int, message: str = "too many requests", *, limit: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.limit = limit
