"""One account per address however it is spelled; nothing invisible in an email or a name (memory and PostgreSQL)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.api import PASSWORD, assert_error, create_workspace, register

NFC = unicodedata.normalize("NFC", "zoë@café.example")
NFD = unicodedata.normalize("NFD", "zoë@café.example")


async def test_the_nfc_and_nfd_spellings_are_one_account(api: Any) -> None:
    first = await api.post("/api/v1/auth/register", json={"email": NFC, "password": PASSWORD, "name": "Zoë"})
    assert first.status_code == 201, first.text
    assert first.json()["data"]["user"]["email"] == "zoë@xn--caf-dma.example"
    again = await api.post("/api/v1/auth/register", json={"email": NFD, "password": PASSWORD, "name": "Zoë"})
    assert_error(again, 409, "CONFLICT")
    login = await api.post("/api/v1/auth/login", json={"email": NFD, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["data"]["user"]["id"] == first.json()["data"]["user"]["id"]


async def test_an_invitation_to_one_spelling_is_accepted_by_the_other(api: Any) -> None:
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    invited = await api.post(
        f"/api/v1/workspaces/{workspace}/invitations", json={"email": NFD, "role": "member"}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    guest = await api.post("/api/v1/auth/register", json={"email": NFC, "password": PASSWORD, "name": "Zoë"})
    headers = {"Authorization": f"Bearer {guest.json()['data']['accessToken']}"}
    accepted = await api.post(
        "/api/v1/invitations/accept", json={"token": invited.json()["data"]["token"]}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text


HIDDEN = ["\u200b", "\u202e", "\u2066", "\ufeff", "\u3164"]


@pytest.mark.parametrize("char", HIDDEN)
async def test_hidden_characters_are_refused_everywhere_an_email_or_name_is_taken(api: Any, char: str) -> None:
    email = f"ad{char}min@example.com"
    register_email = await api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "A"})
    assert_error(register_email, 422, "VALIDATION_FAILED")
    name = await api.post(
        "/api/v1/auth/register", json={"email": "plain@example.com", "password": PASSWORD, "name": f"Ann{char}"}
    )
    assert_error(name, 422, "VALIDATION_FAILED")
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    base = f"/api/v1/workspaces/{workspace}"
    invite = await api.post(f"{base}/invitations", json={"email": email, "role": "member"}, headers=owner.headers)
    assert_error(invite, 422, "VALIDATION_FAILED")
    for inputs in ({"email": email}, {"fullName": f"Ann{char}Smith", "companyName": "Acme"}):
        record = await api.post(f"{base}/records", json={"kind": "person", "inputs": inputs}, headers=owner.headers)
        assert_error(record, 422, "VALIDATION_FAILED")
    renamed = await api.patch(base, json={"name": f"Acme{char}"}, headers=owner.headers)
    assert_error(renamed, 422, "VALIDATION_FAILED")
    assert (await api.get(f"{base}/records", headers=owner.headers)).json()["data"] == []
