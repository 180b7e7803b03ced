"""Rate limits on the API: every authenticated route, and the /auth routes.

A route's group is its `rate_limit_group` opt (the /auth routes and job submission name theirs),
else `reads` for GET and HEAD and `writes` for any other method of a route that needs a bearer
token. Routes without one (health, readiness, metrics, the OpenAPI schema) are not limited. A
limited answer, whatever its status, carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (the IETF draft's names) for the tightest budget it drew on; a refusal is a 429
`RATE_LIMITED` with `Retry-After`, raised here and answered by the one error mapper.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.limits.throttle_request import Allowance, RouteGroup, ThrottleRequest, ThrottleRequestCommand
from entrypoints.http.auth import principal_or_none, vouch_member
from entrypoints.http.request_container import request_container

GROUP_OPT = "rate_limit_group"
_READS = frozenset({"GET", "HEAD"})
LIMIT_HEADER = b"ratelimit-limit"


def route_group(handler: BaseRouteHandler, method: str) -> tuple[RouteGroup, bool] | None:
    """The route's group and whether it needs a bearer token; None for a route that is not limited."""
    authenticated = "principal" in handler.resolve_dependencies()
    named = handler.opt.get(GROUP_OPT)
    if named is not None:
        return RouteGroup(named), authenticated
    if not authenticated:
        return None
    return (RouteGroup.READS if method in _READS else RouteGroup.WRITES), True


def limit_headers(allowance: Allowance) -> list[tuple[bytes, bytes]]:
    return [
        (LIMIT_HEADER, str(allowance.limit).encode()),
        (b"ratelimit-remaining", str(allowance.remaining).encode()),
        (b"ratelimit-reset", str(allowance.reset_seconds).encode()),
    ]


def _workspace_of(scope: Scope) -> UUID | None:
    workspace_id = scope["path_params"].get("workspace_id")
    return workspace_id if isinstance(workspace_id, UUID) else None


class RateLimitMiddleware:
    """On the /api/v1 router: runs once the route is known, before its guards, body and handler."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._groups: dict[tuple[int, str], tuple[RouteGroup, bool] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = self._group(scope["route_handler"], scope["method"]) if scope["type"] == ScopeType.HTTP else None
        if group is None:
            await self._app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope)
        principal = await principal_or_none(request) if group[1] else None
        if principal is None and group[0] is not RouteGroup.AUTH:
            await self._app(scope, receive, send)  # the route's own dependency answers 401
            return
        throttle = await request_container(request).get(ThrottleRequest)
        allowance = await throttle(
            ThrottleRequestCommand(
                group=group[0],
                client_ip=request.client.host if request.client else "unknown",
                user_id=principal.user_id if principal else None,
                workspace_id=_workspace_of(scope),
            )
        )
        if allowance is None:
            await self._app(scope, receive, send)
            return
        if allowance.member:
            vouch_member(request)
        headers = limit_headers(allowance)

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = message.get("headers") or []
                if not any(name.lower() == LIMIT_HEADER for name, _ in sent):  # a handler's own refusal wins
                    message["headers"] = [*sent, *headers]
            await send(message)

        await self._app(scope, receive, send_with_limits)

    def _group(self, handler: BaseRouteHandler, method: str) -> tuple[RouteGroup, bool] | None:
        key = (id(handler), method)
        if key not in self._groups:
            self._groups[key] = route_group(handler, method)
        return self._groups[key]
