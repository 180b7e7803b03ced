from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import errors

from domain.kernel.errors import Conflict


@contextmanager
def unique_violation_as_conflict(message: str) -> Iterator[None]:
    try:
        yield
    except errors.UniqueViolation as exc:
        raise Conflict(message) from exc
