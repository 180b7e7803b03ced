"""The process's clock, ids and cryptography, and the settings and topology it was built from."""

from __future__ import annotations

from dishka import Provider, Scope, from_context, provide

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.argon2_hasher import Argon2PasswordHasher
from adapters.crypto.jwt_issuer import JwtAccessTokenIssuer
from adapters.crypto.secret_tokens import Sha256SecretTokens
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from domain.identity.sessions import ACCESS_TOKEN_TTL
from entrypoints.wiring.encryption import resolve_keyring
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.topology import Topology
from ports.secret_box import SecretBox
from ports.security import AccessTokenIssuer, PasswordHasher, SecretTokens
from ports.system import Clock, IdGenerator


class SystemWiring(Provider):
    scope = Scope.APP
    settings = from_context(provides=Settings, scope=Scope.APP)
    topology = from_context(provides=Topology, scope=Scope.APP)
    clock = provide(SystemClock, provides=Clock)
    ids = provide(Uuid7Generator, provides=IdGenerator)


class CryptoWiring(Provider):
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
