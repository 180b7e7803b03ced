"""Bearer authentication: every protected route depends on `Principal`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import Provide

from domain.errors import Unauthorized
from ports.security import AccessTokenIssuer

_VERIFIED = "cascade_bearer"  # the request's verified token (or why it was refused), in its state


@dataclass(slots=True, frozen=True)
class Principal:
    user_id: UUID


async def authenticate(request: Request[Any, Any, Any]) -> Principal:
    outcome = await _verified(request)
    if isinstance(outcome, Unauthorized):
        raise outcome
    return outcome


async def principal_or_none(request: Request[Any, Any, Any]) -> Principal | None:
    """The principal when the request carries a valid token; the route's dependency answers 401 otherwise."""
    outcome = await _verified(request)
    return outcome if isinstance(outcome, Principal) else None


def known_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The principal if this request's token was already verified (never verifies it)."""
    outcome = request.state.get(_VERIFIED)
    return outcome if isinstance(outcome, Principal) else None


async def _verified(request: Request[Any, Any, Any]) -> Principal | Unauthorized:
    """The token is verified once per request, whoever asks first (the rate limits, or the route)."""
    if _VERIFIED not in request.state:
        request.state[_VERIFIED] = await _verify(request)
    outcome: Principal | Unauthorized = request.state[_VERIFIED]
    return outcome


async def _verify(request: Request[Any, Any, Any]) -> Principal | Unauthorized:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthorized("missing bearer token")
    issuer: AccessTokenIssuer = await request.state.dishka_container.get(AccessTokenIssuer)
    try:
        return Principal(user_id=issuer.verify(token.strip()).user_id)
    except Unauthorized as refused:
        return refused


AUTHENTICATED = {"principal": Provide(authenticate)}
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
