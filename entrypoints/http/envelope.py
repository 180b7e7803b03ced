"""The response envelope of API.md, on every JSON response."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import msgspec

from adapters.telemetry.logging import request_id_var
from domain.kernel.pagination import Page

T = TypeVar("T")

# The request span's ids (hex), set when tracing traces the request, for the access-log line written after it.
request_trace_var: ContextVar[dict[str, str] | None] = ContextVar("request_trace", default=None)


class Meta(msgspec.Struct, rename="camel"):
    request_id: str


class PageMeta(msgspec.Struct, rename="camel"):
    request_id: str
    next_cursor: str | None
    limit: int


class ErrorDetailOut(msgspec.Struct, rename="camel"):
    field: str
    message: str


class ErrorBody(msgspec.Struct, rename="camel"):
    code: str
    message: str
    details: list[ErrorDetailOut] = msgspec.field(default_factory=list)


class Envelope(msgspec.Struct, Generic[T], rename="camel"):
    success: bool
    data: T
    error: None
    meta: Meta


class PageEnvelope(msgspec.Struct, Generic[T], rename="camel"):
    success: bool
    data: list[T]
    error: None
    meta: PageMeta


class ErrorEnvelope(msgspec.Struct, rename="camel"):
    success: bool
    data: None
    error: ErrorBody
    meta: Meta


def ok(data: T) -> Envelope[T]:
    return Envelope(success=True, data=data, error=None, meta=Meta(request_id=request_id_var.get()))


def ok_page(page: Page[Any], data: list[T]) -> PageEnvelope[T]:
    meta = PageMeta(request_id=request_id_var.get(), next_cursor=page.next_cursor, limit=page.limit)
    return PageEnvelope(success=True, data=data, error=None, meta=meta)


def failure(code: str, message: str, details: list[ErrorDetailOut] | None = None) -> ErrorEnvelope:
    return ErrorEnvelope(
        success=False,
        data=None,
        error=ErrorBody(code=code, message=message, details=details or []),
        meta=Meta(request_id=request_id_var.get()),
    )
