"""The one table from errors to HTTP statuses, and the handlers that apply it."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Litestar, MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from adapters.telemetry.logging import redact_path
from domain.kernel.errors import DomainError, Forbidden, RateLimited, ServiceKeyRefused, Unauthorized
from entrypoints.http.auth import known_principal
from entrypoints.http.envelope import ErrorDetailOut, ErrorEnvelope, failure
from entrypoints.http.rate_limits import route_group
from entrypoints.http.strict_body import json_body_parameter

log = structlog.get_logger("cascade.http")
SERVICE_KEY = "x-service-key"

STATUS_BY_CODE: dict[str, int] = {
    "VALIDATION_FAILED": 422,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "INSUFFICIENT_CREDITS": 402,
    "REQUEST_TIMEOUT": 408,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "FETCH_FAILED": 502,
    "PROVIDER_UNAVAILABLE": 503,
    "SERVICE_UNAVAILABLE": 503,
    "SEARCH_UNAVAILABLE": 503,
}
CODE_BY_HTTP_STATUS: dict[int, str] = {
    400: "VALIDATION_FAILED",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def _respond(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetailOut] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        content=failure(code, message, details), status_code=status, headers=headers, media_type=MediaType.JSON
    )


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, ServiceKeyRefused):
        _security_event(request, "service_key_failure", exc.message, presented=bool(request.headers.get(SERVICE_KEY)))
    elif isinstance(exc, Unauthorized | Forbidden):
        _security_event(request, "auth_failure" if isinstance(exc, Unauthorized) else "authz_failure", exc.message)
    details = [ErrorDetailOut(field=d.field, message=d.message) for d in exc.details]
    headers = _rate_limited(request, exc) if isinstance(exc, RateLimited) else None
    return _respond(STATUS_BY_CODE.get(exc.code, 500), exc.code, exc.message, details, headers)


def _rate_limited(request: Request[Any, Any, Any], exc: RateLimited) -> dict[str, str]:
    """A refusal is a security event; its answer says when to come back and, when known, the budget spent."""
    group = route_group(request.route_handler, request.method)
    principal = known_principal(request)
    workspace_id = request.path_params.get("workspace_id")
    _security_event(
        request,
        "rate_limit_hit",
        exc.message,
        group=group[0].value if group else None,
        user_id=str(principal.user_id) if principal else None,
        workspace_id=str(workspace_id) if workspace_id else None,
    )
    headers = {"Retry-After": str(exc.retry_after_seconds)}
    if exc.limit is not None:
        wait = str(exc.retry_after_seconds)
        headers |= {"RateLimit-Limit": str(exc.limit), "RateLimit-Remaining": "0", "RateLimit-Reset": wait}
    return headers


def _security_event(request: Request[Any, Any, Any], kind: str, reason: str, **context: str | bool | None) -> None:
    """A fixed, structured line for the security team: what was refused where, never a credential."""
    log.warning(
        "security_event",
        kind=kind,
        reason=reason,
        method=request.method,
        path=redact_path(request.url.path, request.path_params),
        client=request.client.host if request.client else None,
        **context,
    )


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Malformed JSON is 400; a well-formed body that breaks the schema is 422."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    details = [
        ErrorDetailOut(field=str(item.get("key") or item.get("source") or ""), message=str(item.get("message", "")))
        for item in extra
        if isinstance(item, dict)
    ]
    status = 422 if details else 400
    message = "request validation failed" if details else str(exc.detail)
    return _respond(status, "VALIDATION_FAILED", message, details)


def undecodable_body(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    return _respond(400, "VALIDATION_FAILED", "request body is not valid UTF-8")


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = CODE_BY_HTTP_STATUS.get(exc.status_code, "INTERNAL" if exc.status_code >= 500 else "VALIDATION_FAILED")
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after", "connection"}}
    return _respond(exc.status_code, code, str(exc.detail), None, headers)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(
        "unhandled_error", path=redact_path(request.url.path, request.path_params), method=request.method, exc_info=exc
    )
    return _respond(500, "INTERNAL", "internal error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error,
    ValidationException: validation_error,
    UnicodeDecodeError: undecodable_body,
    HTTPException: http_error,
    Exception: unexpected_error,
}


_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "malformed request (e.g. invalid JSON)",
    401: "missing, invalid or expired credentials",
    403: "your role does not allow this",
    404: "no such resource in your workspaces",
    409: "conflicts with the current state",
    413: "request body too large",
    415: "the body is not JSON (Content-Type: application/json)",
    422: "the body or parameters break the schema or a rule",
    429: "rate limited; see Retry-After",
    500: "internal error",
    503: "a required dependency is unavailable",
}


# Routes that may spend more credits than the workspace has available say so with `responses=SPENDS_CREDITS`.
SPENDS_CREDITS: dict[int, ResponseSpec] = {
    402: ResponseSpec(ErrorEnvelope, description="not enough credits available (INSUFFICIENT_CREDITS)")
}


def document_errors(app: Litestar) -> None:
    """Describe the error envelope in the OpenAPI document of every route."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            statuses = [500, 503] if "ops" in (handler.resolve_tags() or ()) else list(_ERROR_DESCRIPTIONS)
            if json_body_parameter(handler) is None:
                statuses = [s for s in statuses if s != 415]
            documented = {s: ResponseSpec(ErrorEnvelope, description=_ERROR_DESCRIPTIONS[s]) for s in statuses}
            handler.responses = {**documented, **(handler.responses or {})}
