from __future__ import annotations

from dataclasses import dataclass

from application.auth.session_issuer import AuthSession, SessionIssuer
from domain.identity.users import User, check_password_policy, clean_name, normalize_email
from ports.security import PasswordHasher
from ports.system import Clock, IdGenerator
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class RegisterUserCommand:
    email: str
    password: str
    name: str


class RegisterUser:
    """Create an account and log it in.

    Rules: the email is normalized (case, whitespace) and unique (`Conflict`);
    the password has at least 10 characters and is stored only as an argon2id
    hash; the new session starts a fresh refresh-token family.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        sessions: SessionIssuer,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock
        self._ids = ids

    async def __call__(self, cmd: RegisterUserCommand) -> AuthSession:
        email = normalize_email(cmd.email)
        name = clean_name(cmd.name)
        check_password_policy(cmd.password)
        user = User(
            id=self._ids.new_id(),
            email=email,
            name=name,
            password_hash=await self._hasher.hash(cmd.password),
            is_platform_admin=False,
            created_at=self._clock.now(),
        )
        async with self._uow as uow:
            await uow.users.add(user)
            session = await self._sessions.issue(uow, user)
            await uow.commit()
        return session
