"""Bearer authentication: every protected route depends on `Principal`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import Provide

from domain.errors import Unauthorized
from ports.security import AccessTokenIssuer


@dataclass(slots=True, frozen=True)
class Principal:
    user_id: UUID


async def authenticate(request: Request[Any, Any, Any]) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    issuer: AccessTokenIssuer = await request.state.dishka_container.get(AccessTokenIssuer)
    return Principal(user_id=issuer.verify(token.strip()).user_id)


AUTHENTICATED = {"principal": Provide(authenticate)}
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
