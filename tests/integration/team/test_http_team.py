"""Team over HTTP: members, role changes, removal, invitations.

Each test runs on the memory profile and on real PostgreSQL + Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api import Account, add_member, assert_error, create_workspace, register


@dataclass(slots=True)
class Team:
    workspace: str
    owner: Account
    admin: Account
    member: Account
    viewer: Account
    # the invitations that brought admin, member and viewer in (all accepted)
    setup_invitations: frozenset[str] = frozenset()

    @property
    def base(self) -> str:
        return f"/api/v1/workspaces/{self.workspace}"


async def make_team(api: Any) -> Team:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner, "Team")
    team = Team(
        workspace, owner, await register(api, "admin"), await register(api, "member"), await register(api, "viewer")
    )
    await add_member(api, workspace, owner, team.admin, "admin")
    await add_member(api, workspace, owner, team.member, "member")
    await add_member(api, workspace, owner, team.viewer, "viewer")
    response = await api.get(f"{team.base}/invitations", headers=owner.headers)
    team.setup_invitations = frozenset(i["id"] for i in response.json()["data"])
    assert len(team.setup_invitations) == 3
    return team


async def roles(api: Any, team: Team, actor: Account | None = None) -> dict[str, str]:
    response = await api.get(f"{team.base}/members", headers=(actor or team.owner).headers)
    assert response.status_code == 200, response.text
    return {m["userId"]: m["role"] for m in response.json()["data"]}


async def invitations(api: Any, team: Team, actor: Account | None = None) -> list[dict[str, Any]]:
    """The invitations made after `make_team`, as listed (newest first)."""
    response = await api.get(f"{team.base}/invitations", headers=(actor or team.owner).headers)
    assert response.status_code == 200, response.text
    return [i for i in response.json()["data"] if i["id"] not in team.setup_invitations]


async def invite(api: Any, team: Team, email: str, role: str, actor: Account | None = None) -> Any:
    return await api.post(
        f"{team.base}/invitations", json={"email": email, "role": role}, headers=(actor or team.owner).headers
    )


async def set_role(api: Any, team: Team, actor: Account, target: Account, role: str) -> Any:
    return await api.patch(f"{team.base}/members/{target.id}", json={"role": role}, headers=actor.headers)


async def remove(api: Any, team: Team, actor: Account, target: Account) -> Any:
    return await api.delete(f"{team.base}/members/{target.id}", headers=actor.headers)


async def accept(api: Any, token: str, account: Account) -> Any:
    return await api.post("/api/v1/invitations/accept", json={"token": token}, headers=account.headers)


# --- members -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "admin", "member", "viewer"])
async def test_any_member_lists_the_members(api: Any, who: str) -> None:
    team = await make_team(api)
    actor: Account = getattr(team, who)
    response = await api.get(f"{team.base}/members", headers=actor.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["meta"]["nextCursor"] is None
    listed = {m["userId"]: (m["email"], m["role"]) for m in body["data"]}
    assert listed == {
        team.owner.id: (team.owner.email, "owner"),
        team.admin.id: (team.admin.email, "admin"),
        team.member.id: (team.member.email, "member"),
        team.viewer.id: (team.viewer.email, "viewer"),
    }
    assert all(set(m) == {"userId", "email", "name", "role", "joinedAt"} for m in body["data"])


async def test_members_are_cursor_paginated(api: Any) -> None:
    team = await make_team(api)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        response = await api.get(f"{team.base}/members", params=params, headers=team.viewer.headers)
        assert response.status_code == 200
        body = response.json()
        assert len(body["data"]) <= 3
        seen += [m["userId"] for m in body["data"]]
        if body["meta"]["nextCursor"] is None:
            break
        params = {"limit": 3, "cursor": body["meta"]["nextCursor"]}
    assert len(seen) == len(set(seen)) == 4
    assert seen[0] == team.owner.id  # joined first


async def test_non_members_do_not_see_the_members(api: Any) -> None:
    team = await make_team(api)
    stranger = await register(api, "stranger")
    assert_error(await api.get(f"{team.base}/members", headers=stranger.headers), 404, "NOT_FOUND")


# --- role changes --------------------------------------------------------------


@pytest.mark.parametrize(("start", "new"), [("member", "viewer"), ("viewer", "member")])
async def test_admin_moves_people_between_member_and_viewer(api: Any, start: str, new: str) -> None:
    team = await make_team(api)
    target: Account = getattr(team, start)
    response = await set_role(api, team, team.admin, target, new)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["userId"] == target.id
    assert data["email"] == target.email
    assert data["role"] == new
    assert (await roles(api, team))[target.id] == new


@pytest.mark.parametrize("new", ["admin", "owner"])
async def test_admin_cannot_promote_to_admin_or_owner(api: Any, new: str) -> None:
    team = await make_team(api)
    assert_error(await set_role(api, team, team.admin, team.member, new), 403, "FORBIDDEN")
    assert (await roles(api, team))[team.member.id] == "member"


@pytest.mark.parametrize(("target", "new"), [("owner", "member"), ("owner", "viewer")])
async def test_admin_cannot_touch_an_owner(api: Any, target: str, new: str) -> None:
    team = await make_team(api)
    assert_error(await set_role(api, team, team.admin, getattr(team, target), new), 403, "FORBIDDEN")
    assert (await roles(api, team))[team.owner.id] == "owner"


@pytest.mark.parametrize("new", ["member", "viewer"])
async def test_admin_cannot_touch_another_admin(api: Any, new: str) -> None:
    team = await make_team(api)
    other_admin = await register(api, "admin2")
    await add_member(api, team.workspace, team.owner, other_admin, "admin")
    assert_error(await set_role(api, team, team.admin, other_admin, new), 403, "FORBIDDEN")
    assert (await roles(api, team))[other_admin.id] == "admin"


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_member_and_viewer_cannot_change_roles(api: Any, who: str) -> None:
    team = await make_team(api)
    actor: Account = getattr(team, who)
    assert_error(await set_role(api, team, actor, team.viewer, "member"), 403, "FORBIDDEN")
    assert_error(await set_role(api, team, actor, actor, "admin"), 403, "FORBIDDEN")
    assert await roles(api, team) == {
        team.owner.id: "owner",
        team.admin.id: "admin",
        team.member.id: "member",
        team.viewer.id: "viewer",
    }


@pytest.mark.parametrize("new", ["admin", "owner"])
async def test_owner_promotes_to_admin_and_owner(api: Any, new: str) -> None:
    team = await make_team(api)
    response = await set_role(api, team, team.owner, team.member, new)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["role"] == new
    assert (await roles(api, team))[team.member.id] == new


async def test_owner_demotes_an_admin(api: Any) -> None:
    team = await make_team(api)
    response = await set_role(api, team, team.owner, team.admin, "viewer")
    assert response.status_code == 200
    assert (await roles(api, team))[team.admin.id] == "viewer"
    # and the former admin lost the admin rights
    assert_error(await set_role(api, team, team.admin, team.member, "viewer"), 403, "FORBIDDEN")


@pytest.mark.parametrize("new", ["admin", "member", "viewer"])
async def test_the_last_owner_cannot_be_demoted(api: Any, new: str) -> None:
    team = await make_team(api)
    assert_error(await set_role(api, team, team.owner, team.owner, new), 409, "CONFLICT")
    assert (await roles(api, team))[team.owner.id] == "owner"


async def test_with_two_owners_one_may_be_demoted(api: Any) -> None:
    team = await make_team(api)
    second = await register(api, "owner2")
    await add_member(api, team.workspace, team.owner, second, "owner")

    response = await set_role(api, team, second, team.owner, "member")
    assert response.status_code == 200, response.text
    assert (await roles(api, team))[team.owner.id] == "member"
    # now `second` is the last owner
    assert_error(await set_role(api, team, second, second, "admin"), 409, "CONFLICT")


async def test_changing_the_role_of_a_non_member_is_not_found(api: Any) -> None:
    team = await make_team(api)
    stranger = await register(api, "stranger")
    assert_error(await set_role(api, team, team.owner, stranger, "viewer"), 404, "NOT_FOUND")
    unknown = "00000000-0000-7000-8000-000000000000"
    response = await api.patch(f"{team.base}/members/{unknown}", json={"role": "viewer"}, headers=team.owner.headers)
    assert_error(response, 404, "NOT_FOUND")


# --- removal -------------------------------------------------------------------


@pytest.mark.parametrize("target", ["member", "viewer"])
async def test_admin_removes_a_member(api: Any, target: str) -> None:
    team = await make_team(api)
    removed: Account = getattr(team, target)
    response = await remove(api, team, team.admin, removed)
    assert response.status_code == 204
    assert response.content == b""
    assert removed.id not in await roles(api, team)
    assert_error(await api.get(team.base, headers=removed.headers), 404, "NOT_FOUND")


async def test_admin_cannot_remove_an_owner_or_another_admin(api: Any) -> None:
    team = await make_team(api)
    other_admin = await register(api, "admin2")
    await add_member(api, team.workspace, team.owner, other_admin, "admin")
    assert_error(await remove(api, team, team.admin, team.owner), 403, "FORBIDDEN")
    assert_error(await remove(api, team, team.admin, other_admin), 403, "FORBIDDEN")
    current = await roles(api, team)
    assert current[team.owner.id] == "owner"
    assert current[other_admin.id] == "admin"


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_member_and_viewer_cannot_remove_others(api: Any, who: str) -> None:
    team = await make_team(api)
    actor: Account = getattr(team, who)
    other = team.viewer if who == "member" else team.member
    assert_error(await remove(api, team, actor, other), 403, "FORBIDDEN")
    assert other.id in await roles(api, team)


async def test_owner_removes_an_admin(api: Any) -> None:
    team = await make_team(api)
    assert (await remove(api, team, team.owner, team.admin)).status_code == 204
    assert team.admin.id not in await roles(api, team)


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
async def test_anyone_may_leave(api: Any, who: str) -> None:
    team = await make_team(api)
    leaver: Account = getattr(team, who)
    response = await remove(api, team, leaver, leaver)
    assert response.status_code == 204
    assert leaver.id not in await roles(api, team)
    assert_error(await api.get(team.base, headers=leaver.headers), 404, "NOT_FOUND")
    mine = await api.get("/api/v1/workspaces", headers=leaver.headers)
    assert team.workspace not in [w["id"] for w in mine.json()["data"]]


async def test_the_last_owner_cannot_leave(api: Any) -> None:
    team = await make_team(api)
    assert_error(await remove(api, team, team.owner, team.owner), 409, "CONFLICT")
    assert (await roles(api, team))[team.owner.id] == "owner"


async def test_one_of_two_owners_may_leave_or_be_removed(api: Any) -> None:
    team = await make_team(api)
    second = await register(api, "owner2")
    third = await register(api, "owner3")
    await add_member(api, team.workspace, team.owner, second, "owner")
    await add_member(api, team.workspace, team.owner, third, "owner")

    assert (await remove(api, team, second, second)).status_code == 204
    assert (await remove(api, team, third, team.owner)).status_code == 204
    current = await roles(api, team, third)
    assert second.id not in current
    assert team.owner.id not in current
    assert_error(await remove(api, team, third, third), 409, "CONFLICT")


async def test_removing_a_non_member_is_not_found(api: Any) -> None:
    team = await make_team(api)
    stranger = await register(api, "stranger")
    assert_error(await remove(api, team, team.owner, stranger), 404, "NOT_FOUND")


# --- invitations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "role"), [("owner", "owner"), ("owner", "admin"), ("admin", "member"), ("admin", "viewer")]
)
async def test_admin_and_owner_invite(api: Any, who: str, role: str) -> None:
    team = await make_team(api)
    response = await invite(api, team, " New.Person@Example.com ", role, getattr(team, who))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"id", "email", "role", "expiresAt", "token"}
    assert data["email"] == "new.person@example.com"
    assert data["role"] == role
    assert isinstance(data["token"], str)
    assert len(data["token"]) >= 20

    listed = await invitations(api, team)
    assert [i["id"] for i in listed] == [data["id"]]
    assert listed[0]["status"] == "pending"
    assert listed[0]["role"] == role
    assert listed[0]["expiresAt"] == data["expiresAt"]
    assert "token" not in listed[0]


async def test_the_token_is_never_listed(api: Any) -> None:
    team = await make_team(api)
    created = await invite(api, team, "secret@example.com", "member")
    token = created.json()["data"]["token"]
    response = await api.get(f"{team.base}/invitations", headers=team.owner.headers)
    assert token not in response.text
    assert all("token" not in item for item in response.json()["data"])


@pytest.mark.parametrize("role", ["admin", "owner"])
async def test_admin_cannot_invite_admin_or_owner(api: Any, role: str) -> None:
    team = await make_team(api)
    assert_error(await invite(api, team, "boss@example.com", role, team.admin), 403, "FORBIDDEN")
    assert await invitations(api, team) == []


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_member_and_viewer_cannot_invite_nor_list_invitations(api: Any, who: str) -> None:
    team = await make_team(api)
    actor: Account = getattr(team, who)
    assert_error(await invite(api, team, "x@example.com", "viewer", actor), 403, "FORBIDDEN")
    assert_error(await api.get(f"{team.base}/invitations", headers=actor.headers), 403, "FORBIDDEN")
    assert await invitations(api, team) == []


async def test_a_second_open_invitation_for_the_same_email_is_a_conflict(api: Any) -> None:
    team = await make_team(api)
    first = await invite(api, team, "dup@example.com", "member")
    assert first.status_code == 201
    assert_error(await invite(api, team, "DUP@example.com", "viewer", team.admin), 409, "CONFLICT")
    listed = await invitations(api, team)
    assert [(i["id"], i["role"]) for i in listed] == [(first.json()["data"]["id"], "member")]


async def test_after_a_revoke_the_email_can_be_invited_again(api: Any) -> None:
    team = await make_team(api)
    first = (await invite(api, team, "again@example.com", "member")).json()["data"]
    assert (await api.delete(f"{team.base}/invitations/{first['id']}", headers=team.owner.headers)).status_code == 204
    second = await invite(api, team, "again@example.com", "viewer")
    assert second.status_code == 201


async def test_inviting_an_existing_member_is_a_conflict(api: Any) -> None:
    team = await make_team(api)
    assert_error(await invite(api, team, team.member.email, "viewer"), 409, "CONFLICT")
    assert_error(await invite(api, team, team.owner.email.upper(), "viewer"), 409, "CONFLICT")
    assert await invitations(api, team) == []


async def test_invitations_are_listed_newest_first(api: Any) -> None:
    team = await make_team(api)
    ids = []
    for i in range(3):
        response = await invite(api, team, f"n{i}@example.com", "member")
        assert response.status_code == 201
        ids.append(response.json()["data"]["id"])

    listed = await invitations(api, team, team.admin)
    assert [i["id"] for i in listed] == ids[::-1]
    assert [i["email"] for i in listed] == ["n2@example.com", "n1@example.com", "n0@example.com"]
    assert all(i["invitedBy"] == team.owner.id for i in listed)
    created = [i["createdAt"] for i in listed]
    assert created == sorted(created, reverse=True)

    # the same order across pages, the setup invitations (older) last
    everything = await api.get(f"{team.base}/invitations", headers=team.owner.headers)
    expected = [i["id"] for i in everything.json()["data"]]
    assert expected[:3] == ids[::-1]
    walked: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await api.get(f"{team.base}/invitations", params=params, headers=team.owner.headers)
        body = page.json()
        assert len(body["data"]) <= 2
        walked += [i["id"] for i in body["data"]]
        if body["meta"]["nextCursor"] is None:
            break
        params = {"limit": 2, "cursor": body["meta"]["nextCursor"]}
    assert walked == expected
    assert len(walked) == 6


async def test_revoke(api: Any) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    created = (await invite(api, team, invitee.email, "member", team.admin)).json()["data"]

    response = await api.delete(f"{team.base}/invitations/{created['id']}", headers=team.admin.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert [(i["id"], i["status"]) for i in await invitations(api, team)] == [(created["id"], "revoked")]

    assert_error(await accept(api, created["token"], invitee), 409, "CONFLICT")
    assert invitee.id not in await roles(api, team)
    # revoking twice is fine
    again = await api.delete(f"{team.base}/invitations/{created['id']}", headers=team.admin.headers)
    assert again.status_code == 204


async def test_admin_cannot_revoke_an_invitation_for_an_admin(api: Any) -> None:
    team = await make_team(api)
    created = (await invite(api, team, "futureadmin@example.com", "admin")).json()["data"]
    response = await api.delete(f"{team.base}/invitations/{created['id']}", headers=team.admin.headers)
    assert_error(response, 403, "FORBIDDEN")
    assert [i["status"] for i in await invitations(api, team)] == ["pending"]


@pytest.mark.parametrize("who", ["member", "viewer"])
async def test_member_and_viewer_cannot_revoke(api: Any, who: str) -> None:
    team = await make_team(api)
    created = (await invite(api, team, "keep@example.com", "viewer")).json()["data"]
    actor: Account = getattr(team, who)
    response = await api.delete(f"{team.base}/invitations/{created['id']}", headers=actor.headers)
    assert_error(response, 403, "FORBIDDEN")
    assert [i["status"] for i in await invitations(api, team)] == ["pending"]


async def test_revoking_an_unknown_invitation_is_not_found(api: Any) -> None:
    team = await make_team(api)
    unknown = "00000000-0000-7000-8000-000000000000"
    response = await api.delete(f"{team.base}/invitations/{unknown}", headers=team.owner.headers)
    assert_error(response, 404, "NOT_FOUND")


async def test_an_accepted_invitation_cannot_be_revoked(api: Any) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    created = (await invite(api, team, invitee.email, "member")).json()["data"]
    assert (await accept(api, created["token"], invitee)).status_code == 200
    response = await api.delete(f"{team.base}/invitations/{created['id']}", headers=team.owner.headers)
    assert_error(response, 409, "CONFLICT")
    assert (await roles(api, team))[invitee.id] == "member"


@pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
async def test_accept_joins_with_the_invited_role(api: Any, role: str) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    created = (await invite(api, team, invitee.email.upper(), role)).json()["data"]

    response = await accept(api, created["token"], invitee)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == team.workspace
    assert data["name"] == "Team"
    assert data["role"] == role

    assert (await roles(api, team))[invitee.id] == role
    mine = await api.get("/api/v1/workspaces", headers=invitee.headers)
    assert [(w["id"], w["role"]) for w in mine.json()["data"]] == [(team.workspace, role)]
    assert [i["status"] for i in await invitations(api, team)] == ["accepted"]


async def test_only_the_invited_email_may_accept(api: Any) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    other = await register(api, "other")
    created = (await invite(api, team, invitee.email, "member")).json()["data"]

    assert_error(await accept(api, created["token"], other), 403, "FORBIDDEN")
    assert other.id not in await roles(api, team)
    # the failed attempt did not use the token up
    assert (await accept(api, created["token"], invitee)).status_code == 200


async def test_an_invitation_is_single_use(api: Any) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    created = (await invite(api, team, invitee.email, "viewer")).json()["data"]
    assert (await accept(api, created["token"], invitee)).status_code == 200
    assert_error(await accept(api, created["token"], invitee), 409, "CONFLICT")
    assert (await roles(api, team))[invitee.id] == "viewer"


async def test_a_member_cannot_accept_again_after_leaving_and_rejoining_through_an_old_token(api: Any) -> None:
    team = await make_team(api)
    invitee = await register(api, "invitee")
    first = (await invite(api, team, invitee.email, "member")).json()["data"]
    assert (await accept(api, first["token"], invitee)).status_code == 200
    assert (await remove(api, team, invitee, invitee)).status_code == 204
    assert_error(await accept(api, first["token"], invitee), 409, "CONFLICT")
    assert invitee.id not in await roles(api, team)


async def test_unknown_token_is_not_found(api: Any) -> None:
    team = await make_team(api)
    assert_error(await accept(api, "no-such-token-at-all", team.member), 404, "NOT_FOUND")


async def test_accept_needs_authentication(api: Any) -> None:
    team = await make_team(api)
    created = (await invite(api, team, "anon@example.com", "member")).json()["data"]
    assert_error(await api.post("/api/v1/invitations/accept", json={"token": created["token"]}), 401, "UNAUTHORIZED")
    assert [i["status"] for i in await invitations(api, team)] == ["pending"]
