from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.kernel.errors import RateLimited
from ports.rate_limit import Hit, RateLimiter
from ports.workspaces import WorkspaceReader


class RouteGroup(StrEnum):
    AUTH = "auth"  # the /auth routes
    READS = "reads"  # GET
    WRITES = "writes"  # POST, PATCH, PUT, DELETE
    JOBS = "jobs"  # job submission


@dataclass(slots=True, kw_only=True, frozen=True)
class Budget:
    """Requests a window allows one caller (a user, or an IP before sign-in) and one workspace."""

    per_caller: int
    per_workspace: int


@dataclass(slots=True, kw_only=True, frozen=True)
class RequestLimits:
    budgets: Mapping[RouteGroup, Budget]
    window_seconds: int = 60


@dataclass(slots=True, kw_only=True, frozen=True)
class ThrottleRequestCommand:
    group: RouteGroup
    client_ip: str
    user_id: UUID | None = None
    workspace_id: UUID | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class Allowance:
    """What is left of the tightest budget a request drew on, and when it is whole again.

    `member`: the request's user is a member of the workspace it names (so the user exists).
    """

    limit: int
    remaining: int
    reset_seconds: int
    member: bool = False


class ThrottleRequest:
    """Count one API request against every budget it draws on; refuse it when one is spent.

    Rules: a request draws on its route group's budget for its user; the /auth routes draw on
    their client IP's as well (and only on it before sign-in). A request naming a workspace
    also draws on that workspace's budget, which all its members share, but only when its user
    is a member: someone else's requests are refused by the workspace anyway, and must not spend
    its budget. Budgets are checked in that order and the first one spent refuses the request
    (`RateLimited` with the wait and the budget's size) without charging the ones after it. The
    answer is the tightest budget: the one with the least left (None when nothing was counted).
    """

    def __init__(self, limiter: RateLimiter, workspaces: WorkspaceReader, limits: RequestLimits) -> None:
        self._limiter = limiter
        self._workspaces = workspaces
        self._limits = limits

    async def __call__(self, cmd: ThrottleRequestCommand) -> Allowance | None:
        budget = self._limits.budgets[cmd.group]
        draws: list[tuple[str, int, str]] = []  # (who, limit, whose), in the order they are checked
        member = False
        if cmd.group is RouteGroup.AUTH:
            draws.append((f"ip:{cmd.client_ip}", budget.per_caller, "your address"))
        if cmd.user_id is not None:
            draws.append((f"user:{cmd.user_id}", budget.per_caller, "you"))
            member = cmd.workspace_id is not None and await self._member(cmd.workspace_id, cmd.user_id)
            if member:
                draws.append((f"workspace:{cmd.workspace_id}", budget.per_workspace, "this workspace"))
        if not draws:
            return None
        window = self._limits.window_seconds
        counted = await self._limiter.hit_in_order(
            [Hit(key=f"api:{cmd.group}:{who}", limit=limit, window_seconds=window) for who, limit, _ in draws]
        )
        if not (refused := counted[-1]).allowed:
            _, limit, whose = draws[len(counted) - 1]
            raise RateLimited(
                refused.retry_after_seconds,
                f"too many {cmd.group} requests: the limit for {whose} is {limit} per {window} seconds",
                limit=limit,
            )
        tightest = min(counted, key=lambda d: d.remaining)
        return Allowance(
            limit=tightest.limit,
            remaining=tightest.remaining,
            reset_seconds=window,
            member=member,
        )

    async def _member(self, workspace_id: UUID, user_id: UUID) -> bool:
        return await self._workspaces.role_of(workspace_id, user_id) is not None
