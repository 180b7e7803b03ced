"""Identity: accounts, sessions, platform admins."""

from __future__ import annotations

from dishka import Provider, Scope, provide, provide_all

from adapters.memory.identity import MemoryUserReader
from adapters.postgres.identity import PostgresUserReader
from application.admin.make_platform_admin import MakePlatformAdmin
from application.auth.get_current_user import GetCurrentUser
from application.auth.login_user import LoginPolicy, LoginUser
from application.auth.logout_user import LogoutUser
from application.auth.refresh_session import RefreshSession
from application.auth.register_user import RegisterUser
from application.auth.session_issuer import SessionIssuer
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.identity import UserReader


class IdentityWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(RegisterUser, LoginUser, RefreshSession, LogoutUser, MakePlatformAdmin)
    # A query of every authenticated request, through app-scoped readers and cache: built once.
    current_user = provide(GetCurrentUser, scope=Scope.APP)
    session_issuer = provide(SessionIssuer, scope=Scope.APP)

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, UserReader, memory=MemoryUserReader, postgres=PostgresUserReader)

    @provide(scope=Scope.APP)
    def login_policy(self, settings: Settings) -> LoginPolicy:
        return LoginPolicy(
            attempts_per_email=settings.login.attempts_per_email,
            attempts_per_ip=settings.login.attempts_per_ip,
            window_seconds=settings.login.window_seconds,
        )
