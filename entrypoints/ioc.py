"""dishka providers: one per adapter group, one for use cases; the profile picks adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, from_context, make_async_container, provide
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from adapters.crypto.argon2_hasher import Argon2PasswordHasher
from adapters.crypto.jwt_issuer import JwtAccessTokenIssuer
from adapters.crypto.secret_tokens import Sha256SecretTokens
from adapters.memory.health import StaticProbe
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.memory.readers import MemoryTeamReader, MemoryUserReader, MemoryWorkspaceReader
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.postgres.health import PostgresDatabaseProbe
from adapters.postgres.pool import open_pool
from adapters.postgres.readers import PostgresTeamReader, PostgresUserReader, PostgresWorkspaceReader
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.redis.health import RedisProbe
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.admin.make_platform_admin import MakePlatformAdmin
from application.auth.get_current_user import GetCurrentUser
from application.auth.login_user import LoginPolicy, LoginUser
from application.auth.logout_user import LogoutUser
from application.auth.refresh_session import RefreshSession
from application.auth.register_user import RegisterUser
from application.auth.session_issuer import SessionIssuer
from application.ops.check_health import CheckHealth
from application.team.accept_invitation import AcceptInvitation
from application.team.change_member_role import ChangeMemberRole
from application.team.create_invitation import CreateInvitation
from application.team.list_invitations import ListInvitations
from application.team.list_members import ListMembers
from application.team.remove_member import RemoveMember
from application.team.revoke_invitation import RevokeInvitation
from application.workspace.create_workspace import CreateWorkspace
from application.workspace.delete_workspace import DeleteWorkspace
from application.workspace.get_workspace import GetWorkspace
from application.workspace.list_workspaces import ListWorkspaces
from application.workspace.rename_workspace import RenameWorkspace
from domain.sessions import ACCESS_TOKEN_TTL
from entrypoints.config import ConfigError, Settings
from ports.health import CacheProbe, DatabaseProbe
from ports.rate_limit import RateLimiter
from ports.readers import TeamReader, UserReader, WorkspaceReader
from ports.security import AccessTokenIssuer, PasswordHasher, SecretTokens
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


class SystemProvider(Provider):
    scope = Scope.APP
    settings = from_context(provides=Settings, scope=Scope.APP)
    clock = provide(SystemClock, provides=Clock)
    ids = provide(Uuid7Generator, provides=IdGenerator)


class CryptoProvider(Provider):
    scope = Scope.APP
    secret_tokens = provide(Sha256SecretTokens, provides=SecretTokens)

    @provide
    def password_hasher(self, settings: Settings) -> PasswordHasher:
        return Argon2PasswordHasher(memory_cost_kib=settings.password_hash_memory_kib)

    @provide
    def access_tokens(self, settings: Settings) -> AccessTokenIssuer:
        return JwtAccessTokenIssuer(settings.jwt_secret, ACCESS_TOKEN_TTL)


class MemoryProvider(Provider):
    """Every store in process: the test harness and the `memory` profile."""

    scope = Scope.APP
    store = provide(MemoryStore)
    uow = provide(MemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    users = provide(MemoryUserReader, provides=UserReader)
    workspaces = provide(MemoryWorkspaceReader, provides=WorkspaceReader)
    team = provide(MemoryTeamReader, provides=TeamReader)

    @provide
    def database_probe(self) -> DatabaseProbe:
        return StaticProbe("database", "in-memory store; nothing survives a restart")


class PostgresProvider(Provider):
    scope = Scope.APP

    @provide
    async def pool(self, settings: Settings) -> AsyncIterator[AsyncConnectionPool]:
        pool = await open_pool(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
            acquire_timeout=settings.database_pool_timeout,
        )
        yield pool
        await pool.close()

    uow = provide(PostgresUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    users = provide(PostgresUserReader, provides=UserReader)
    workspaces = provide(PostgresWorkspaceReader, provides=WorkspaceReader)
    team = provide(PostgresTeamReader, provides=TeamReader)

    @provide
    def database_probe(self, pool: AsyncConnectionPool) -> DatabaseProbe:
        return PostgresDatabaseProbe(pool)


class InProcessLimitsProvider(Provider):
    """No Redis configured: limits hold per process."""

    scope = Scope.APP

    @provide
    def limiter(self) -> RateLimiter:
        return MemoryRateLimiter()

    @provide
    def cache_probe(self) -> CacheProbe:
        return StaticProbe("redis", "not configured; rate limits are per process")


class RedisProvider(Provider):
    scope = Scope.APP

    @provide
    async def client(self, settings: Settings) -> AsyncIterator[Redis]:
        client = Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        yield client
        await client.aclose()

    @provide
    def limiter(self, client: Redis) -> RateLimiter:
        return RedisRateLimiter(client, MemoryRateLimiter())

    @provide
    def cache_probe(self, client: Redis) -> CacheProbe:
        return RedisProbe(client)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def login_policy(self, settings: Settings) -> LoginPolicy:
        return LoginPolicy(
            attempts_per_email=settings.login_attempts_per_email,
            attempts_per_ip=settings.login_attempts_per_ip,
            window_seconds=settings.login_window_seconds,
        )

    session_issuer = provide(SessionIssuer, scope=Scope.APP)
    check_health = provide(CheckHealth, scope=Scope.APP)
    register_user = provide(RegisterUser)
    login_user = provide(LoginUser)
    refresh_session = provide(RefreshSession)
    logout_user = provide(LogoutUser)
    get_current_user = provide(GetCurrentUser)
    make_platform_admin = provide(MakePlatformAdmin)
    create_workspace = provide(CreateWorkspace)
    list_workspaces = provide(ListWorkspaces)
    get_workspace = provide(GetWorkspace)
    rename_workspace = provide(RenameWorkspace)
    delete_workspace = provide(DeleteWorkspace)
    list_members = provide(ListMembers)
    change_member_role = provide(ChangeMemberRole)
    remove_member = provide(RemoveMember)
    create_invitation = provide(CreateInvitation)
    list_invitations = provide(ListInvitations)
    revoke_invitation = provide(RevokeInvitation)
    accept_invitation = provide(AcceptInvitation)


def adapter_providers(settings: Settings) -> list[Provider]:
    stores: Provider = MemoryProvider() if settings.profile == "memory" else PostgresProvider()
    limits: Provider = RedisProvider() if settings.redis_url else InProcessLimitsProvider()
    return [SystemProvider(), CryptoProvider(), stores, limits]


def build_container(settings: Settings, *extra: Provider) -> AsyncContainer:
    """The one container of a process. Nothing is built until first asked for."""
    if settings.profile != "memory" and not settings.database_url:
        raise ConfigError("CASCADE_DATABASE_URL: required by the local and production profiles")
    return make_async_container(*adapter_providers(settings), UseCaseProvider(), *extra, context={Settings: settings})
