"""Helpers that speak the REST API the way a client would."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

PASSWORD = "correct horse battery"
_counter = itertools.count()


@dataclass(slots=True)
class Account:
    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(client: Any, name: str = "user") -> Account:
    email = f"{name}-{next(_counter)}@example.com"
    response = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return Account(data["user"]["id"], email, data["accessToken"], data["refreshToken"])


async def create_workspace(client: Any, owner: Account, name: str = "Acme") -> str:
    response = await client.post("/api/v1/workspaces", json={"name": name}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def add_member(client: Any, workspace_id: str, inviter: Account, invitee: Account, role: str) -> None:
    response = await client.post(
        f"/api/v1/workspaces/{workspace_id}/invitations",
        json={"email": invitee.email, "role": role},
        headers=inviter.headers,
    )
    assert response.status_code == 201, response.text
    token = response.json()["data"]["token"]
    accepted = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers)
    assert accepted.status_code == 200, accepted.text


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    return dict(body["error"])


@dataclass(slots=True)
class Team:
    """A workspace with one account of each role."""

    workspace: str
    owner: Account
    admin: Account
    member: Account
    viewer: Account

    def url(self, path: str = "") -> str:
        return f"/api/v1/workspaces/{self.workspace}{path}"


async def make_team(client: Any, name: str = "Team") -> Team:
    owner = await register(client, "owner")
    workspace = await create_workspace(client, owner, name)
    accounts = {}
    for role in ("admin", "member", "viewer"):
        accounts[role] = await register(client, role)
        await add_member(client, workspace, owner, accounts[role], role)
    return Team(workspace, owner, accounts["admin"], accounts["member"], accounts["viewer"])


async def server_sent_events(client: Any, url: str, headers: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Follow a Server-Sent Events stream to its end: each event's name and JSON data, in order."""
    events: list[tuple[str, dict[str, Any]]] = []
    async with client.stream("GET", url, headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
    return events
