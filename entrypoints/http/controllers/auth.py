from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from dishka import FromDishka
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader

from application.auth.get_current_user import GetCurrentUser
from application.auth.login_user import LoginUser, LoginUserCommand
from application.auth.logout_user import LogoutUser, LogoutUserCommand
from application.auth.refresh_session import RefreshSession, RefreshSessionCommand
from application.auth.register_user import RegisterUser, RegisterUserCommand
from application.auth.session_issuer import AuthSession
from application.limits.throttle_request import RouteGroup
from domain.identity.users import User
from entrypoints.http.auth import AUTHENTICATED, BEARER, Principal
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.injection import inject
from entrypoints.http.rate_limits import GROUP_OPT


class RegisterRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    email: str
    password: str
    name: str


class LoginRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    email: str
    password: str


class RefreshRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    refresh_token: str


class UserOut(msgspec.Struct, rename="camel"):
    id: UUID
    email: str
    name: str


class MeOut(UserOut):
    platform_admin: bool


class SessionOut(msgspec.Struct, rename="camel"):
    user: UserOut
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def _user(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name)


def _session(session: AuthSession) -> Envelope[SessionOut]:
    return ok(
        SessionOut(
            user=_user(session.user),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            token_type="Bearer",  # noqa: S106 - the scheme name, not a secret
            expires_in=session.expires_in_seconds,
        )
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]
    cache_control = CacheControlHeader(no_store=True)
    opt = {GROUP_OPT: RouteGroup.AUTH.value}  # limited per IP (and per user once signed in)

    @post("/register", status_code=201, summary="Create an account and log in")
    @inject
    async def register(self, data: RegisterRequest, uc: FromDishka[RegisterUser]) -> Envelope[SessionOut]:
        return _session(await uc(RegisterUserCommand(email=data.email, password=data.password, name=data.name)))

    @post("/login", status_code=200, summary="Exchange email and password for tokens")
    @inject
    async def login(
        self, request: Request[Any, Any, Any], data: LoginRequest, uc: FromDishka[LoginUser]
    ) -> Envelope[SessionOut]:
        client_ip = request.client.host if request.client else "unknown"
        return _session(await uc(LoginUserCommand(email=data.email, password=data.password, client_ip=client_ip)))

    @post("/refresh", status_code=200, summary="Rotate a refresh token into a new pair")
    @inject
    async def refresh(self, data: RefreshRequest, uc: FromDishka[RefreshSession]) -> Envelope[SessionOut]:
        return _session(await uc(RefreshSessionCommand(refresh_token=data.refresh_token)))

    @post("/logout", status_code=204, summary="Revoke the session of a refresh token")
    @inject
    async def logout(self, data: RefreshRequest, uc: FromDishka[LogoutUser]) -> None:
        await uc(LogoutUserCommand(refresh_token=data.refresh_token))

    @get("/me", dependencies=AUTHENTICATED, security=BEARER, summary="The authenticated user")
    @inject
    async def me(self, principal: Principal, uc: FromDishka[GetCurrentUser]) -> Envelope[MeOut]:
        user = await uc(principal.user_id)
        return ok(MeOut(id=user.id, email=user.email, name=user.name, platform_admin=user.is_platform_admin))
