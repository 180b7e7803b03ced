"""Credentials over HTTP: a provider secret and creating a credential of it."""

from __future__ import annotations

from typing import Any

from tests.api import Account, Team

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


async def create(api: Any, team: Team, as_: Account | None = None, **body: Any) -> dict[str, Any]:
    payload = {"provider": "apollo", "label": "Production key", "secret": SECRET, **body}
    response = await api.post(team.url("/credentials"), json=payload, headers=(as_ or team.admin).headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])
