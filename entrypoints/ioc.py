"""dishka providers: one per adapter group, one for use cases; the profile picks adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, from_context, make_async_container, provide
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.argon2_hasher import Argon2PasswordHasher
from adapters.crypto.jwt_issuer import JwtAccessTokenIssuer
from adapters.crypto.secret_tokens import Sha256SecretTokens
from adapters.memory.audit import MemoryAuditLogReader
from adapters.memory.credentials import MemoryCredentialReader
from adapters.memory.credits import MemoryCreditReader
from adapters.memory.enrichment import MemoryAttemptReader, MemoryCircuitBreaker, MemoryLookupCache
from adapters.memory.events import MemoryEventReader
from adapters.memory.health import StaticProbe
from adapters.memory.identity import MemoryUserReader
from adapters.memory.jobs import MemoryJobReader
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.memory.records import MemoryRecordReader
from adapters.memory.store import MemoryStore
from adapters.memory.team import MemoryTeamReader
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.memory.webhooks import MemoryWebhookReader
from adapters.memory.workspaces import MemoryWorkspaceReader
from adapters.postgres.audit import PostgresAuditLogReader
from adapters.postgres.credentials import PostgresCredentialReader
from adapters.postgres.credits import PostgresCreditReader
from adapters.postgres.enrichment import PostgresAttemptReader, PostgresLookupCache
from adapters.postgres.events import PostgresEventReader
from adapters.postgres.health import PostgresDatabaseProbe
from adapters.postgres.identity import PostgresUserReader
from adapters.postgres.jobs import PostgresJobReader
from adapters.postgres.pool import open_pool
from adapters.postgres.records import PostgresRecordReader
from adapters.postgres.team import PostgresTeamReader
from adapters.postgres.unit_of_work import PostgresUnitOfWork
from adapters.postgres.webhooks import PostgresWebhookReader
from adapters.postgres.workspaces import PostgresWorkspaceReader
from adapters.redis.circuit_breaker import RedisCircuitBreaker
from adapters.redis.health import RedisProbe
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.admin.make_platform_admin import MakePlatformAdmin
from application.audit.list_audit_log import ListAuditLog
from application.auth.get_current_user import GetCurrentUser
from application.auth.login_user import LoginPolicy, LoginUser
from application.auth.logout_user import LogoutUser
from application.auth.refresh_session import RefreshSession
from application.auth.register_user import RegisterUser
from application.auth.session_issuer import SessionIssuer
from application.credential.create_credential import CreateCredential
from application.credential.delete_credential import DeleteCredential
from application.credential.get_credential import GetCredential
from application.credential.list_credentials import ListCredentials
from application.credential.rotate_credential_keys import RotateCredentialKeys
from application.credential.update_credential import UpdateCredential
from application.credit.charge_credits import ChargeCredits
from application.credit.get_credit_balance import GetCreditBalance
from application.credit.grant_credits import GrantCredits
from application.credit.list_credit_transactions import ListCreditTransactions
from application.credit.release_stale_reservations import ReleaseStaleReservations
from application.ops.check_health import CheckHealth
from application.record.create_record import CreateRecord
from application.record.delete_record import DeleteRecord
from application.record.get_record import GetRecord
from application.record.list_records import ListRecords
from application.record.update_record import UpdateRecord
from application.team.accept_invitation import AcceptInvitation
from application.team.change_member_role import ChangeMemberRole
from application.team.create_invitation import CreateInvitation
from application.team.list_invitations import ListInvitations
from application.team.list_members import ListMembers
from application.team.remove_member import RemoveMember
from application.team.revoke_invitation import RevokeInvitation
from application.workspace.create_workspace import CreateWorkspace, CreditPolicy
from application.workspace.delete_workspace import DeleteWorkspace
from application.workspace.get_workspace import GetWorkspace
from application.workspace.list_workspaces import ListWorkspaces
from application.workspace.rename_workspace import RenameWorkspace
from domain.identity.sessions import ACCESS_TOKEN_TTL
from entrypoints.config import ConfigError, Settings
from entrypoints.encryption import resolve_keyring
from entrypoints.ioc_enrichment import EnrichmentWiring
from entrypoints.ioc_jobs import JobWiring
from entrypoints.ioc_limits import cache_and_limits
from entrypoints.ioc_metrics import MetricsWiring, PoolMetricsWiring
from entrypoints.ioc_webhooks import WebhookWiring
from ports.audit import AuditLogReader
from ports.credentials import CredentialReader
from ports.credits import CreditReader
from ports.enrichment import AttemptReader, CircuitBreaker, LookupCache
from ports.events import EventReader
from ports.health import CacheProbe, DatabaseProbe
from ports.identity import UserReader
from ports.jobs import JobReader
from ports.rate_limit import RateLimiter
from ports.records import RecordReader
from ports.secret_box import SecretBox
from ports.security import AccessTokenIssuer, PasswordHasher, SecretTokens
from ports.system import Clock, IdGenerator
from ports.team import TeamReader
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookReader
from ports.workspaces import WorkspaceReader


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

    @provide
    def secret_box(self, settings: Settings) -> SecretBox:
        return AesGcmSecretBox(resolve_keyring(settings))


class MemoryProvider(Provider):
    """Every store in process: the test harness and the `memory` profile."""

    scope = Scope.APP
    store = provide(MemoryStore)
    uow = provide(MemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    users = provide(MemoryUserReader, provides=UserReader)
    workspaces = provide(MemoryWorkspaceReader, provides=WorkspaceReader)
    team = provide(MemoryTeamReader, provides=TeamReader)
    credentials = provide(MemoryCredentialReader, provides=CredentialReader)
    audit = provide(MemoryAuditLogReader, provides=AuditLogReader)
    credits = provide(MemoryCreditReader, provides=CreditReader)
    records = provide(MemoryRecordReader, provides=RecordReader)
    lookup_cache = provide(MemoryLookupCache, provides=LookupCache)
    attempts = provide(MemoryAttemptReader, provides=AttemptReader)
    jobs = provide(MemoryJobReader, provides=JobReader)
    events = provide(MemoryEventReader, provides=EventReader)
    webhooks = provide(MemoryWebhookReader, provides=WebhookReader)

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
    credentials = provide(PostgresCredentialReader, provides=CredentialReader)
    audit = provide(PostgresAuditLogReader, provides=AuditLogReader)
    credits = provide(PostgresCreditReader, provides=CreditReader)
    records = provide(PostgresRecordReader, provides=RecordReader)
    lookup_cache = provide(PostgresLookupCache, provides=LookupCache)
    attempts = provide(PostgresAttemptReader, provides=AttemptReader)
    jobs = provide(PostgresJobReader, provides=JobReader)
    events = provide(PostgresEventReader, provides=EventReader)
    webhooks = provide(PostgresWebhookReader, provides=WebhookReader)

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
    def breaker(self) -> CircuitBreaker:
        return MemoryCircuitBreaker()

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
    def breaker(self, client: Redis) -> CircuitBreaker:
        return RedisCircuitBreaker(client, MemoryCircuitBreaker())

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

    @provide(scope=Scope.APP)
    def credit_policy(self, settings: Settings) -> CreditPolicy:
        return CreditPolicy(starter_credits=settings.starter_credits)

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
    create_credential = provide(CreateCredential)
    list_credentials = provide(ListCredentials)
    get_credential = provide(GetCredential)
    update_credential = provide(UpdateCredential)
    delete_credential = provide(DeleteCredential)
    rotate_credential_keys = provide(RotateCredentialKeys)
    list_audit_log = provide(ListAuditLog)
    get_credit_balance = provide(GetCreditBalance)
    list_credit_transactions = provide(ListCreditTransactions)
    grant_credits = provide(GrantCredits)
    charge_credits = provide(ChargeCredits)
    release_stale_reservations = provide(ReleaseStaleReservations)
    create_record = provide(CreateRecord)
    list_records = provide(ListRecords)
    get_record = provide(GetRecord)
    update_record = provide(UpdateRecord)
    delete_record = provide(DeleteRecord)


def adapter_providers(settings: Settings) -> list[Provider]:
    stores: Provider = MemoryProvider() if settings.profile == "memory" else PostgresProvider()
    limits: Provider = RedisProvider() if settings.redis_url else InProcessLimitsProvider()
    metrics = [MetricsWiring()] if settings.profile == "memory" else [MetricsWiring(), PoolMetricsWiring()]
    return [
        SystemProvider(),
        CryptoProvider(),
        stores,
        limits,
        *cache_and_limits(settings),
        *metrics,
        EnrichmentWiring(),
        JobWiring(),
        WebhookWiring(),
    ]


def build_container(settings: Settings, *extra: Provider) -> AsyncContainer:
    """The one container of a process. Nothing is built until first asked for."""
    if settings.profile != "memory" and not settings.database_url:
        raise ConfigError("CASCADE_DATABASE_URL: required by the local and production profiles")
    return make_async_container(*adapter_providers(settings), UseCaseProvider(), *extra, context={Settings: settings})
