"""Credits over HTTP: the balance, the ledger and owner grants with an Idempotency-Key.

Each test runs on the memory profile and on real PostgreSQL + Redis.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.api import Account, Team, assert_error, create_workspace, make_team, register

ENTRY_FIELDS = {
    "id",
    "kind",
    "amount",
    "balanceAfter",
    "reservedAfter",
    "reason",
    "reservationId",
    "referenceId",
    "createdAt",
}
_keys = itertools.count()


def fresh_key() -> str:
    return f"grant-{next(_keys)}"


async def grant(api: Any, team: Team, body: Any, key: str | None = None, actor: Account | None = None) -> Any:
    headers = dict((actor or team.owner).headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.post(f"{team.url('/credits')}/grants", json=body, headers=headers)


async def balance(api: Any, team: Team, actor: Account | None = None) -> dict[str, int]:
    response = await api.get(team.url("/credits"), headers=(actor or team.owner).headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["error"] is None
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    return dict(body["data"])


async def transactions(api: Any, team: Team, actor: Account | None = None, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(
        f"{team.url('/credits')}/transactions", params={"limit": 200, **params}, headers=(actor or team.owner).headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["nextCursor"] is None
    return list(response.json()["data"])


async def ledger_state(api: Any, team: Team) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """What a refused request must not change."""
    return await balance(api, team), await transactions(api, team)


# --- the balance ----------------------------------------------------------------------------------------------------


async def test_a_new_workspace_has_its_starter_credits(api: Any) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    response = await api.get(f"/api/v1/workspaces/{workspace}/credits", headers=owner.headers)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "success": True,
        "data": {"balance": 100, "reserved": 0, "available": 100},
        "error": None,
        "meta": {"requestId": response.headers["x-request-id"]},
    }
    listed = await api.get(f"/api/v1/workspaces/{workspace}/credits/transactions", headers=owner.headers)
    [starter] = listed.json()["data"]
    assert set(starter) == ENTRY_FIELDS
    assert (starter["kind"], starter["amount"], starter["balanceAfter"], starter["reservedAfter"]) == (
        "grant",
        100,
        100,
        0,
    )
    assert (starter["reason"], starter["reservationId"], starter["referenceId"]) == ("starter credits", None, None)


@pytest.mark.parametrize("who", ["owner", "admin", "member", "viewer"])
async def test_every_member_reads_the_balance_and_the_ledger(api: Any, who: str) -> None:
    team = await make_team(api, "Credits")
    actor: Account = getattr(team, who)
    assert await balance(api, team, actor) == {"balance": 100, "reserved": 0, "available": 100}
    assert [(e["kind"], e["amount"]) for e in await transactions(api, team, actor)] == [("grant", 100)]


async def test_strangers_and_anonymous_callers_read_nothing(api: Any) -> None:
    team = await make_team(api, "Credits")
    stranger = await register(api, "stranger")
    for path in (team.url("/credits"), f"{team.url('/credits')}/transactions"):
        assert_error(await api.get(path, headers=stranger.headers), 404, "NOT_FOUND")
        assert_error(await api.get(path), 401, "UNAUTHORIZED")


# --- grants ---------------------------------------------------------------------------------------------------------


async def test_the_owner_grants_credits(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await grant(api, team, {"amount": 250, "reason": "conference lead"}, "g-1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    entry = body["data"]
    assert set(entry) == ENTRY_FIELDS
    assert (entry["kind"], entry["amount"], entry["balanceAfter"], entry["reservedAfter"]) == ("grant", 250, 350, 0)
    assert (entry["reason"], entry["reservationId"], entry["referenceId"]) == ("conference lead", None, None)
    assert entry["createdAt"]

    assert await balance(api, team) == {"balance": 350, "reserved": 0, "available": 350}
    assert (await transactions(api, team))[0] == entry


async def test_the_reason_is_optional(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await grant(api, team, {"amount": 1}, fresh_key())
    assert response.status_code == 201, response.text
    assert response.json()["data"]["reason"] == ""


async def test_a_replayed_grant_answers_the_first_response_and_grants_once(api: Any) -> None:
    team = await make_team(api, "Credits")
    first = await grant(api, team, {"amount": 40, "reason": "goodwill"}, "same-key")
    assert first.status_code == 201, first.text
    for _ in range(2):
        again = await grant(api, team, {"amount": 40, "reason": "goodwill"}, "same-key")
        assert again.status_code == 201, again.text
        assert again.json()["data"] == first.json()["data"]
    assert await balance(api, team) == {"balance": 140, "reserved": 0, "available": 140}
    assert [e["amount"] for e in await transactions(api, team, kind="grant")] == [40, 100]


@pytest.mark.parametrize(
    "body", [{"amount": 41, "reason": "goodwill"}, {"amount": 40, "reason": "other"}, {"amount": 40}]
)
async def test_the_same_key_with_another_body_is_a_conflict(api: Any, body: dict[str, Any]) -> None:
    team = await make_team(api, "Credits")
    first = await grant(api, team, {"amount": 40, "reason": "goodwill"}, "same-key")
    assert first.status_code == 201
    before = await ledger_state(api, team)
    assert_error(await grant(api, team, body, "same-key"), 409, "CONFLICT")
    assert await ledger_state(api, team) == before


async def test_grant_keys_are_not_the_starter_key_and_belong_to_one_workspace(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await grant(api, team, {"amount": 5}, "starter")
    assert response.status_code == 201, response.text
    assert await balance(api, team) == {"balance": 105, "reserved": 0, "available": 105}

    other_workspace = await create_workspace(api, team.owner, "Other")
    other = Team(other_workspace, team.owner, team.admin, team.member, team.viewer)
    elsewhere = await grant(api, other, {"amount": 9}, "starter")
    assert elsewhere.status_code == 201, elsewhere.text
    assert elsewhere.json()["data"]["balanceAfter"] == 109
    assert await balance(api, team) == {"balance": 105, "reserved": 0, "available": 105}


async def test_a_grant_without_an_idempotency_key_is_refused(api: Any) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    response = await grant(api, team, {"amount": 10})
    error = assert_error(response, 400, "VALIDATION_FAILED")
    assert "Idempotency-Key" in error["message"]
    assert await ledger_state(api, team) == before


@pytest.mark.parametrize("key", ["", "k" * 195])
async def test_an_empty_or_overlong_idempotency_key_is_refused(api: Any, key: str) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    response = await grant(api, team, {"amount": 10}, key)
    assert_error(response, 422, "VALIDATION_FAILED")
    assert await ledger_state(api, team) == before


async def test_the_longest_idempotency_key_is_accepted(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await grant(api, team, {"amount": 10}, "k" * 194)
    assert response.status_code == 201, response.text


BAD_BODIES = [
    pytest.param({"amount": 0}, id="zero"),
    pytest.param({"amount": -5}, id="negative"),
    pytest.param({"amount": 1_000_000_001}, id="too-large"),
    pytest.param({"amount": "10"}, id="string"),
    pytest.param({"amount": 10.5}, id="fraction"),
    pytest.param({"amount": True}, id="bool"),
    pytest.param({"amount": None}, id="null"),
    pytest.param({"amount": [10]}, id="list"),
    pytest.param({}, id="empty"),
    pytest.param({"reason": "no amount"}, id="missing-amount"),
    pytest.param({"amount": 10, "reason": 7}, id="reason-not-string"),
    pytest.param({"amount": 10, "reason": "r" * 501}, id="reason-too-long"),
    pytest.param({"amount": 10, "balance": 1_000_000}, id="unknown-field"),
    pytest.param({"amount": 10, "actorId": "00000000-0000-0000-0000-000000000000"}, id="unknown-actor-field"),
    pytest.param([10], id="not-an-object"),
    pytest.param("10", id="a-string"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_a_bad_grant_body_is_refused_and_writes_nothing(api: Any, body: Any) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    response = await grant(api, team, body, fresh_key())
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert error["details"], "the answer names what is wrong"
    assert await ledger_state(api, team) == before


async def test_a_reason_with_a_nul_character_is_refused_on_every_backend(api: Any) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    response = await grant(api, team, {"amount": 10, "reason": "free\x00credits"}, fresh_key())
    assert_error(response, 422, "VALIDATION_FAILED")
    assert await ledger_state(api, team) == before


async def test_the_largest_grant_is_accepted(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await grant(api, team, {"amount": 1_000_000_000}, fresh_key())
    assert response.status_code == 201, response.text
    assert response.json()["data"]["balanceAfter"] == 1_000_000_100


async def test_malformed_json_is_refused(api: Any) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    headers = {**team.owner.headers, "Idempotency-Key": fresh_key(), "Content-Type": "application/json"}
    response = await api.post(f"{team.url('/credits')}/grants", content=b'{"amount": 10', headers=headers)
    assert_error(response, 400, "VALIDATION_FAILED")
    assert await ledger_state(api, team) == before


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
async def test_only_owners_grant(api: Any, who: str) -> None:
    team = await make_team(api, "Credits")
    before = await ledger_state(api, team)
    assert_error(await grant(api, team, {"amount": 10}, fresh_key(), getattr(team, who)), 403, "FORBIDDEN")
    assert await ledger_state(api, team) == before


async def test_strangers_cannot_grant(api: Any) -> None:
    team = await make_team(api, "Credits")
    stranger = await register(api, "stranger")
    before = await ledger_state(api, team)
    assert_error(await grant(api, team, {"amount": 10}, fresh_key(), stranger), 404, "NOT_FOUND")
    response = await api.post(
        f"{team.url('/credits')}/grants", json={"amount": 10}, headers={"Idempotency-Key": fresh_key()}
    )
    assert_error(response, 401, "UNAUTHORIZED")
    assert await ledger_state(api, team) == before


async def test_a_promoted_owner_may_grant(api: Any) -> None:
    team = await make_team(api, "Credits")
    promoted = await api.patch(
        f"/api/v1/workspaces/{team.workspace}/members/{team.admin.id}",
        json={"role": "owner"},
        headers=team.owner.headers,
    )
    assert promoted.status_code == 200, promoted.text
    response = await grant(api, team, {"amount": 10}, fresh_key(), team.admin)
    assert response.status_code == 201, response.text


# --- the ledger -----------------------------------------------------------------------------------------------------


async def test_transactions_are_newest_first_and_cursor_paginated(api: Any) -> None:
    team = await make_team(api, "Credits")
    amounts = [1, 2, 3, 4, 5, 6, 7]
    for amount in amounts:
        response = await grant(api, team, {"amount": amount}, fresh_key())
        assert response.status_code == 201
    everything = await transactions(api, team)
    assert [e["amount"] for e in everything] == [*amounts[::-1], 100]
    assert [e["balanceAfter"] for e in everything] == [128, 121, 115, 110, 106, 103, 101, 100]

    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        response = await api.get(f"{team.url('/credits')}/transactions", params=params, headers=team.viewer.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert body["meta"]["limit"] == 3
        assert len(body["data"]) <= 3
        seen += body["data"]
        if body["meta"]["nextCursor"] is None:
            break
        assert len(body["data"]) == 3
        params = {"limit": 3, "cursor": body["meta"]["nextCursor"]}
    assert pages == 3
    assert seen == everything


async def test_the_default_page_size_is_fifty(api: Any) -> None:
    team = await make_team(api, "Credits")
    response = await api.get(f"{team.url('/credits')}/transactions", headers=team.owner.headers)
    assert response.json()["meta"] == {
        "requestId": response.headers["x-request-id"],
        "nextCursor": None,
        "limit": 50,
    }


@pytest.mark.parametrize("kind", ["grant", "purchase", "reserve", "release", "charge", "refund", "expire"])
async def test_transactions_filtered_by_kind(api: Any, kind: str) -> None:
    team = await make_team(api, "Credits")
    for amount in (11, 12):
        assert (await grant(api, team, {"amount": amount}, fresh_key())).status_code == 201
    listed = await transactions(api, team, kind=kind)
    assert all(e["kind"] == kind for e in listed)
    assert [e["amount"] for e in listed] == ([12, 11, 100] if kind == "grant" else [])


async def test_a_kind_filter_pages_too(api: Any) -> None:
    team = await make_team(api, "Credits")
    for amount in (11, 12, 13):
        assert (await grant(api, team, {"amount": amount}, fresh_key())).status_code == 201
    first = await api.get(
        f"{team.url('/credits')}/transactions", params={"kind": "grant", "limit": 2}, headers=team.owner.headers
    )
    body = first.json()
    assert [e["amount"] for e in body["data"]] == [13, 12]
    cursor = body["meta"]["nextCursor"]
    assert cursor is not None
    second = await api.get(
        f"{team.url('/credits')}/transactions",
        params={"kind": "grant", "limit": 2, "cursor": cursor},
        headers=team.owner.headers,
    )
    assert [e["amount"] for e in second.json()["data"]] == [11, 100]
    assert second.json()["meta"]["nextCursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "bonus"},
        {"kind": "GRANT"},
        {"kind": ""},
        {"limit": 0},
        {"limit": 201},
        {"limit": "many"},
        {"cursor": "not-a-cursor"},
    ],
    ids=["unknown-kind", "upper-case-kind", "empty-kind", "limit-zero", "limit-too-big", "limit-not-int", "bad-cursor"],
)
async def test_bad_listing_parameters_are_refused(api: Any, params: dict[str, Any]) -> None:
    team = await make_team(api, "Credits")
    response = await api.get(f"{team.url('/credits')}/transactions", params=params, headers=team.owner.headers)
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == list(params)
