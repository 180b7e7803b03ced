"""Records over HTTP: creating one and listing a team's."""

from __future__ import annotations

from typing import Any

from tests.api import Account, Team


async def create(api: Any, team: Team, as_: Account | None = None, **body: Any) -> dict[str, Any]:
    payload = {"kind": "person", "inputs": {"email": "ann@acme.com"}, **body}
    response = await api.post(team.url("/records"), json=payload, headers=(as_ or team.member).headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


async def listed(api: Any, team: Team, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(team.url("/records"), params={"limit": 200, **params}, headers=team.viewer.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])
