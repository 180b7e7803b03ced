"""Refresh-token families: the domain state machine, and the auth use cases against a model."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from adapters.crypto.argon2_hasher import Argon2PasswordHasher
from adapters.crypto.jwt_issuer import JwtAccessTokenIssuer
from adapters.crypto.secret_tokens import Sha256SecretTokens
from adapters.memory.cache import MemoryCache
from adapters.memory.identity import MemoryUserReader
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.system.clock import SystemClock
from adapters.system.ids import Uuid7Generator
from application.auth.login_user import LoginPolicy, LoginUser, LoginUserCommand
from application.auth.logout_user import LogoutUser, LogoutUserCommand
from application.auth.refresh_session import RefreshSession, RefreshSessionCommand
from application.auth.register_user import RegisterUser, RegisterUserCommand
from application.auth.session_issuer import AuthSession, SessionIssuer
from domain.identity.sessions import ACCESS_TOKEN_TTL, RefreshToken, RefreshTokenState, RefreshVerdict
from domain.kernel.errors import Unauthorized

T = TypeVar("T")

# --- (a) the domain: state, verdict and consume at arbitrary times ------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)  # fmt: skip
maybe_instants = st.none() | instants


@st.composite
def refresh_tokens(draw: st.DrawFn) -> RefreshToken:
    created_at = draw(instants)
    return RefreshToken(
        id=uuid4(),
        family_id=uuid4(),
        user_id=uuid4(),
        token_hash=secrets.token_hex(32),
        created_at=created_at,
        expires_at=created_at + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))),
        used_at=draw(maybe_instants),
        revoked_at=draw(maybe_instants),
    )


@given(token=refresh_tokens(), now=instants)
def test_state_follows_revoked_then_used_then_expiry(token: RefreshToken, now: datetime) -> None:
    state = token.state(now)

    if token.revoked_at is not None:
        assert state is RefreshTokenState.REVOKED
    elif token.used_at is not None:
        assert state is RefreshTokenState.USED
    elif now >= token.expires_at:
        assert state is RefreshTokenState.EXPIRED
    else:
        assert state is RefreshTokenState.ACTIVE


@given(token=refresh_tokens(), now=instants)
def test_verdict_rotates_active_revokes_on_reuse_and_rejects_the_rest(token: RefreshToken, now: datetime) -> None:
    expected = {
        RefreshTokenState.ACTIVE: RefreshVerdict.ROTATE,
        RefreshTokenState.USED: RefreshVerdict.REVOKE_FAMILY,
        RefreshTokenState.REVOKED: RefreshVerdict.REJECT,
        RefreshTokenState.EXPIRED: RefreshVerdict.REJECT,
    }
    assert token.verdict(now) is expected[token.state(now)]


@given(token=refresh_tokens(), now=instants, later=instants)
def test_consume_works_once_and_turns_a_later_presentation_into_reuse(
    token: RefreshToken, now: datetime, later: datetime
) -> None:
    if token.verdict(now) is not RefreshVerdict.ROTATE:
        before = (token.used_at, token.revoked_at)
        with pytest.raises(ValueError, match="only an active refresh token"):
            token.consume(now)
        assert (token.used_at, token.revoked_at) == before
        return

    token.consume(now)

    assert token.used_at == now
    # used stays used whenever it is presented again, even after expiry: reuse is detected
    assert token.state(later) is RefreshTokenState.USED
    assert token.verdict(later) is RefreshVerdict.REVOKE_FAMILY
    with pytest.raises(ValueError, match="only an active refresh token"):
        token.consume(later)


@given(token=refresh_tokens(), now=instants)
def test_a_revoked_token_is_rejected_forever(token: RefreshToken, now: datetime) -> None:
    token.revoked_at = token.revoked_at or token.created_at
    assert token.verdict(now) is RefreshVerdict.REJECT


@given(created_at=instants, ttl=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=60)))
def test_a_fresh_token_is_active_until_it_expires(created_at: datetime, ttl: timedelta) -> None:
    token = RefreshToken(
        id=uuid4(),
        family_id=uuid4(),
        user_id=uuid4(),
        token_hash=secrets.token_hex(32),
        created_at=created_at,
        expires_at=created_at + ttl,
    )
    assert token.state(created_at) is RefreshTokenState.ACTIVE
    assert token.state(token.expires_at - timedelta(microseconds=1)) is RefreshTokenState.ACTIVE
    assert token.state(token.expires_at) is RefreshTokenState.EXPIRED


# --- (b) the use cases on the memory adapters against a model of live tokens ------------------------------------

PASSWORD = "correct horse battery"
USERS = ("ann@example.com", "bob@example.com")


class RefreshFamilies(RuleBasedStateMachine):
    """Model: each family is alive or dead; an alive family has exactly one live token, its newest."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        store = MemoryStore()
        self.uow = MemoryUnitOfWork(store)
        clock, ids, self.tokens = SystemClock(), Uuid7Generator(), Sha256SecretTokens()
        hasher = Argon2PasswordHasher(memory_cost_kib=64, time_cost=1, parallelism=1)
        sessions = SessionIssuer(clock, ids, self.tokens, JwtAccessTokenIssuer("p" * 32, ACCESS_TOKEN_TTL))
        self.register = RegisterUser(self.uow, hasher, sessions, clock, ids)
        policy = LoginPolicy(attempts_per_email=1_000_000, attempts_per_ip=1_000_000)
        self.login_user = LoginUser(MemoryUserReader(store), self.uow, hasher, sessions, MemoryRateLimiter(), policy)
        self.refresh_session = RefreshSession(self.uow, self.tokens, sessions, clock)
        self.logout_user = LogoutUser(self.uow, self.tokens, clock, MemoryCache())

        # every token handed out -> its family, in the order handed out: tokens are random, and
        # hypothesis needs the same draws to pick the same logical token on every replay
        self.family_of: dict[str, int] = {}
        self.owner_of: dict[int, str] = {}  # family -> email of its user
        self.live: dict[int, str] = {}  # alive family -> its one live token
        self.used: set[str] = set()
        for email in USERS:
            session = self.run(self.register(RegisterUserCommand(email=email, password=PASSWORD, name="User")))
            self._start_family(email, session)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def _start_family(self, email: str, session: AuthSession) -> None:
        family = len(self.owner_of)
        self.owner_of[family] = email
        self.family_of[session.refresh_token] = family
        self.live[family] = session.refresh_token

    def _refresh_fails(self, token: str) -> None:
        with pytest.raises(Unauthorized):
            self.run(self.refresh_session(RefreshSessionCommand(refresh_token=token)))

    def _dead_tokens(self) -> list[str]:
        return [t for t, f in self.family_of.items() if f not in self.live]

    def _reusable_tokens(self) -> list[str]:
        return [t for t in self.family_of if t in self.used and self.family_of[t] in self.live]

    @rule(email=st.sampled_from(USERS))
    def login(self, email: str) -> None:
        session = self.run(self.login_user(LoginUserCommand(email=email, password=PASSWORD, client_ip="203.0.113.7")))
        assert session.user.email == email
        self._start_family(email, session)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def refresh_a_live_token(self, data: st.DataObject) -> None:
        family = data.draw(st.sampled_from(sorted(self.live)))
        token = self.live[family]

        session = self.run(self.refresh_session(RefreshSessionCommand(refresh_token=token)))

        assert session.user.email == self.owner_of[family]
        assert session.refresh_token not in self.family_of
        self.used.add(token)
        self.family_of[session.refresh_token] = family
        self.live[family] = session.refresh_token

    @precondition(lambda self: self._reusable_tokens())
    @rule(data=st.data())
    def refresh_a_used_token(self, data: st.DataObject) -> None:
        token = data.draw(st.sampled_from(self._reusable_tokens()))

        self._refresh_fails(token)

        del self.live[self.family_of[token]]  # reuse kills every token of the family

    @precondition(lambda self: self._dead_tokens())
    @rule(data=st.data())
    def refresh_a_dead_token(self, data: st.DataObject) -> None:
        self._refresh_fails(data.draw(st.sampled_from(self._dead_tokens())))

    @rule()
    def refresh_an_unknown_token(self) -> None:
        self._refresh_fails(self.tokens.new().plaintext)

    @precondition(lambda self: self.family_of)
    @rule(data=st.data())
    def logout(self, data: st.DataObject) -> None:
        token = data.draw(st.sampled_from(list(self.family_of)))

        self.run(self.logout_user(LogoutUserCommand(refresh_token=token)))

        self.live.pop(self.family_of[token], None)

    @invariant()
    def the_system_accepts_exactly_the_live_tokens(self) -> None:
        async def accepted() -> set[str]:
            now = datetime.now(UTC)
            async with self.uow as uow:
                found = {
                    t: await uow.refresh_tokens.get_by_hash_for_update(self.tokens.hash_of(t)) for t in self.family_of
                }
            return {t for t, stored in found.items() if stored and stored.verdict(now) is RefreshVerdict.ROTATE}

        assert self.run(accepted()) == set(self.live.values())


def test_refresh_families_follow_the_model() -> None:
    run_state_machine_as_test(
        RefreshFamilies, settings=settings(max_examples=50, stateful_step_count=25, deadline=None)
    )
