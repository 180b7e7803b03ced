from __future__ import annotations

from dataclasses import dataclass

from application.auth.session_issuer import AuthSession, SessionIssuer
from domain.identity.users import normalize_email
from domain.kernel.errors import RateLimited, Unauthorized, ValidationFailed
from ports.identity import UserReader
from ports.rate_limit import RateLimiter
from ports.security import PasswordHasher
from ports.unit_of_work import UnitOfWork

INVALID_LOGIN = "invalid email or password"


@dataclass(slots=True, kw_only=True, frozen=True)
class LoginPolicy:
    attempts_per_email: int = 10
    attempts_per_ip: int = 50
    window_seconds: int = 900


@dataclass(slots=True, kw_only=True, frozen=True)
class LoginUserCommand:
    email: str
    password: str
    client_ip: str


class LoginUser:
    """Exchange an email and password for a new session.

    Rules: attempts are limited per client IP and per email in a sliding
    window (`RateLimited` with the wait); an unknown email and a wrong
    password give the same `Unauthorized` after the same hashing work.
    """

    def __init__(
        self,
        users: UserReader,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        sessions: SessionIssuer,
        limiter: RateLimiter,
        policy: LoginPolicy,
    ) -> None:
        self._users = users
        self._uow = uow
        self._hasher = hasher
        self._sessions = sessions
        self._limiter = limiter
        self._policy = policy

    async def __call__(self, cmd: LoginUserCommand) -> AuthSession:
        await self._throttle(f"login:ip:{cmd.client_ip}", self._policy.attempts_per_ip)
        try:
            email = normalize_email(cmd.email)
        except ValidationFailed:
            await self._hasher.burn(cmd.password)
            raise Unauthorized(INVALID_LOGIN) from None
        await self._throttle(f"login:email:{email}", self._policy.attempts_per_email)
        user = await self._users.get_by_email(email)
        if user is None:
            await self._hasher.burn(cmd.password)
            raise Unauthorized(INVALID_LOGIN)
        if not await self._hasher.verify(user.password_hash, cmd.password):
            raise Unauthorized(INVALID_LOGIN)
        async with self._uow as uow:
            session = await self._sessions.issue(uow, user)
            await uow.commit()
        return session

    async def _throttle(self, key: str, limit: int) -> None:
        decision = await self._limiter.hit(key, limit=limit, window_seconds=self._policy.window_seconds)
        if not decision.allowed:
            raise RateLimited(decision.retry_after_seconds, "too many login attempts", limit=limit)
