"""Bearer authentication: every protected route depends on `Principal`.

A principal is a valid token of a user who exists: a token outliving its user (deleted, or never
there: a leaked signing key) is refused. When the rate limits already found the user a member of
the workspace the route names, that proves it for free; otherwise the cached user lookup does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import Provide

from application.auth.get_current_user import GetCurrentUser
from domain.kernel.errors import Unauthorized
from entrypoints.http.request_container import request_container, request_state
from ports.security import AccessTokenIssuer

_VERIFIED = "cascade_bearer"  # the request's verified token (or why it was refused), in its state
_MEMBER = "cascade_member"  # the principal is a member of the route's workspace, so the user exists


@dataclass(slots=True, frozen=True)
class Principal:
    user_id: UUID


async def authenticate(request: Request[Any, Any, Any]) -> Principal:
    outcome = await _verified(request)
    if isinstance(outcome, Unauthorized):
        raise outcome
    if not request_state(request).get(_MEMBER):
        current_user: GetCurrentUser = await request_container(request).get(GetCurrentUser)
        await current_user(outcome.user_id)  # Unauthorized when the user does not exist
    return outcome


def vouch_member(request: Request[Any, Any, Any]) -> None:
    """The principal's membership of the route's workspace was seen: the user exists."""
    request_state(request)[_MEMBER] = True


async def principal_or_none(request: Request[Any, Any, Any]) -> Principal | None:
    """The principal when the request carries a valid token; the route's dependency answers 401 otherwise."""
    outcome = await _verified(request)
    return outcome if isinstance(outcome, Principal) else None


def known_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The principal if this request's token was already verified (never verifies it)."""
    outcome = request_state(request).get(_VERIFIED)
    return outcome if isinstance(outcome, Principal) else None


async def _verified(request: Request[Any, Any, Any]) -> Principal | Unauthorized:
    """The token is verified once per request, whoever asks first (the rate limits, or the route)."""
    state = request_state(request)
    outcome: Principal | Unauthorized | None = state.get(_VERIFIED)
    if outcome is None:
        outcome = state[_VERIFIED] = await _verify(request)
    return outcome


async def _verify(request: Request[Any, Any, Any]) -> Principal | Unauthorized:
    scheme, _, token = _authorization(request.scope["headers"]).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthorized("missing bearer token")
    issuer: AccessTokenIssuer = await request_container(request).get(AccessTokenIssuer)
    try:
        return Principal(user_id=issuer.verify(token.strip()).user_id)
    except Unauthorized as refused:
        return refused


def _authorization(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The first `Authorization` header, read from the raw headers (`request.headers` parses all of them)."""
    for name, value in headers:
        if name == b"authorization":  # ASGI servers lower-case header names
            return value.decode("latin-1")
    return ""


AUTHENTICATED = {"principal": Provide(authenticate)}
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
