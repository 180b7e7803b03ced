"""The rules of ThrottleRequest, on the in-process limiter and a fake of the workspace reader."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from adapters.memory.rate_limiter import MemoryRateLimiter
from application.limits.throttle_request import (
    Allowance,
    Budget,
    RequestLimits,
    RouteGroup,
    ThrottleRequest,
    ThrottleRequestCommand,
)
from domain.kernel.errors import RateLimited
from domain.kernel.pagination import Page, PageRequest
from domain.kernel.permissions import Role
from domain.workspaces.workspace import WorkspaceView

WORKSPACE, MEMBER, STRANGER = uuid4(), uuid4(), uuid4()


class Members:
    """Only `role_of` is asked."""

    async def role_of(self, workspace_id: UUID, user_id: UUID) -> Role | None:
        return Role.VIEWER if (workspace_id, user_id) == (WORKSPACE, MEMBER) else None

    async def get_for_member(self, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None:
        raise NotImplementedError

    async def list_for_member(self, user_id: UUID, page: PageRequest) -> Page[WorkspaceView]:
        raise NotImplementedError


def throttle(limiter: MemoryRateLimiter, per_caller: int, per_workspace: int) -> ThrottleRequest:
    budgets = {group: Budget(per_caller=per_caller, per_workspace=per_workspace) for group in RouteGroup}
    return ThrottleRequest(limiter, Members(), RequestLimits(budgets=budgets, window_seconds=60))


def reads(
    user: UUID | None, workspace: UUID | None = None, group: RouteGroup = RouteGroup.READS
) -> ThrottleRequestCommand:
    return ThrottleRequestCommand(group=group, client_ip="203.0.113.9", user_id=user, workspace_id=workspace)


async def test_the_answer_is_the_tightest_budget() -> None:
    uc = throttle(MemoryRateLimiter(), per_caller=5, per_workspace=2)

    assert await uc(reads(MEMBER)) == Allowance(limit=5, remaining=4, reset_seconds=60)
    assert await uc(reads(MEMBER, WORKSPACE)) == Allowance(limit=2, remaining=1, reset_seconds=60, member=True)


async def test_a_budget_spent_first_refuses_without_charging_the_ones_after_it() -> None:
    limiter = MemoryRateLimiter()
    uc = throttle(limiter, per_caller=1, per_workspace=3)
    await uc(reads(MEMBER, WORKSPACE))

    with pytest.raises(RateLimited) as refused:
        await uc(reads(MEMBER, WORKSPACE))

    assert (refused.value.limit, refused.value.retry_after_seconds) == (1, 60)
    workspace_budget = await limiter.hit(f"api:reads:workspace:{WORKSPACE}", limit=3, window_seconds=60)
    assert workspace_budget.remaining == 1, "one request counted, not the refused one"


async def test_someone_who_is_not_a_member_spends_only_their_own_budget() -> None:
    limiter = MemoryRateLimiter()
    uc = throttle(limiter, per_caller=10, per_workspace=1)

    answers = [await uc(reads(STRANGER, WORKSPACE)) for _ in range(3)]

    assert [a.remaining for a in answers if a] == [9, 8, 7], "the stranger's own budget"

    assert await uc(reads(MEMBER, WORKSPACE)) == Allowance(limit=1, remaining=0, reset_seconds=60, member=True)


async def test_groups_have_budgets_of_their_own() -> None:
    uc = throttle(MemoryRateLimiter(), per_caller=1, per_workspace=1)
    await uc(reads(MEMBER))

    assert await uc(reads(MEMBER, group=RouteGroup.WRITES)) is not None
    with pytest.raises(RateLimited, match="too many reads requests"):
        await uc(reads(MEMBER))


async def test_auth_routes_count_per_ip_and_per_user_once_signed_in() -> None:
    uc = throttle(MemoryRateLimiter(), per_caller=2, per_workspace=2)

    anonymous = await uc(reads(None, group=RouteGroup.AUTH))
    signed_in = await uc(reads(MEMBER, group=RouteGroup.AUTH))

    assert anonymous == Allowance(limit=2, remaining=1, reset_seconds=60)
    assert signed_in == Allowance(limit=2, remaining=0, reset_seconds=60), "the IP's budget is the tightest"
    with pytest.raises(RateLimited, match="your address"):
        await uc(reads(uuid4(), group=RouteGroup.AUTH))


async def test_nothing_is_counted_for_an_anonymous_request_outside_auth() -> None:
    assert await throttle(MemoryRateLimiter(), per_caller=1, per_workspace=1)(reads(None, WORKSPACE)) is None
