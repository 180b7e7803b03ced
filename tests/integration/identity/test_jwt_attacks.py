"""QUALITY.md R6: forged, tampered and stale access tokens; refresh-token reuse.

Tokens are forged with PyJWT against the development secret the test app uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from entrypoints.wiring.settings import DEV_JWT_SECRET
from tests.api import Account, assert_error, create_workspace, register
from tests.routes import routes_where

ME = "/api/v1/auth/me"
WORKSPACES = "/api/v1/workspaces"
PROTECTED = [ME, WORKSPACES]


def claims_for(user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iss": "cascade",
        "aud": "cascade-api",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    for key, value in changes.items():
        if value is ...:
            claims.pop(key)
        else:
            claims[key] = value
    return claims


def sign(claims: dict[str, Any], key: str = DEV_JWT_SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # PyJWT warns that the dev secret is short for HS512: beside the point here
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm=algorithm)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    """HS256 signed without PyJWT's key checks (which refuse an empty key)."""
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def tampered(user_id: str, other_id: str) -> str:
    """A valid token whose payload is swapped for another user's, keeping the signature."""
    header, _, signature = sign(claims_for(user_id)).split(".")
    payload = b64(json.dumps(claims_for(other_id)).encode())
    return f"{header}.{payload}.{signature}"


HOUR = 3600
FORGERIES: dict[str, Callable[[str], str]] = {
    "alg-none": lambda uid: jwt.encode(claims_for(uid), None, algorithm="none"),
    "alg-none-handmade": lambda uid: unsigned(claims_for(uid)),
    "alg-NONE-uppercase": lambda uid: unsigned(claims_for(uid), alg="NONE"),
    "hs256-header-no-signature": lambda uid: unsigned(claims_for(uid), alg="HS256"),
    "hs512-right-key": lambda uid: sign(claims_for(uid), algorithm="HS512"),
    "hs384-right-key": lambda uid: sign(claims_for(uid), algorithm="HS384"),
    "wrong-key": lambda uid: sign(claims_for(uid), key="not-the-secret-" + "x" * 32),
    "empty-key": lambda uid: hs256_by_hand(claims_for(uid), b""),
    "expired": lambda uid: sign(claims_for(uid, iat=int(time.time()) - 2 * HOUR, exp=int(time.time()) - HOUR)),
    "expired-one-second-ago": lambda uid: sign(claims_for(uid, exp=int(time.time()) - 1)),
    "wrong-aud": lambda uid: sign(claims_for(uid, aud="someone-else")),
    "aud-list-without-ours": lambda uid: sign(claims_for(uid, aud=["other-api"])),
    "wrong-iss": lambda uid: sign(claims_for(uid, iss="evil")),
    "missing-exp": lambda uid: sign(claims_for(uid, exp=...)),
    "missing-sub": lambda uid: sign(claims_for(uid, sub=...)),
    "missing-aud": lambda uid: sign(claims_for(uid, aud=...)),
    "missing-iss": lambda uid: sign(claims_for(uid, iss=...)),
    "missing-iat": lambda uid: sign(claims_for(uid, iat=...)),
    "missing-jti": lambda uid: sign(claims_for(uid, jti=...)),
    "sub-not-a-uuid": lambda uid: sign(claims_for(uid, sub="admin")),
    "sub-a-number": lambda uid: sign(claims_for(uid, sub=12345)),
    "exp-a-string": lambda uid: sign(claims_for(uid, exp="tomorrow")),
    "tampered-payload": lambda uid: tampered(uid, str(uuid.uuid4())),
    "garbage": lambda uid: "garbage",
    "three-garbage-parts": lambda uid: "a.b.c",
    "truncated": lambda uid: sign(claims_for(uid))[:-10],
    "json-not-jwt": lambda uid: json.dumps(claims_for(uid)),
}


@pytest.mark.parametrize("route", PROTECTED)
@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_tokens_are_unauthorized(client: Any, forgery: str, route: str) -> None:
    account = await register(client, "victim")
    await create_workspace(client, account, "Victim's")
    token = FORGERIES[forgery](account.id)
    response = await client.get(route, headers={"Authorization": f"Bearer {token}"})
    error = assert_error(response, 401, "UNAUTHORIZED")
    assert "Victim's" not in response.text
    assert error["message"]


@pytest.mark.parametrize("route", PROTECTED)
async def test_a_correctly_forged_token_is_accepted(client: Any, route: str) -> None:
    """The control for the forgeries: the same claims, rightly signed, work (also signed by hand)."""
    account = await register(client, "victim")
    for token in (sign(claims_for(account.id)), hs256_by_hand(claims_for(account.id), DEV_JWT_SECRET.encode())):
        response = await client.get(route, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


async def test_a_token_for_a_user_that_does_not_exist(client: Any) -> None:
    token = sign(claims_for(str(uuid.uuid4())))
    assert_error(await client.get(ME, headers={"Authorization": f"Bearer {token}"}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer    ", "Token abc", "Basic dXNlcjpwYXNz", "bearer"],
)
async def test_malformed_authorization_headers(client: Any, header: str) -> None:
    for route in PROTECTED:
        assert_error(await client.get(route, headers={"Authorization": header}), 401, "UNAUTHORIZED")


async def test_the_token_must_be_the_whole_credential(client: Any) -> None:
    account = await register(client)
    good = account.access_token
    for header in (f"Bearer {good}x", f"Bearer x{good}", f"Bearer {good} {good}"):
        assert_error(await client.get(ME, headers={"Authorization": header}), 401, "UNAUTHORIZED")


async def test_a_refresh_token_is_not_an_access_token(client: Any) -> None:
    account = await register(client)
    response = await client.get(ME, headers={"Authorization": f"Bearer {account.refresh_token}"})
    assert_error(response, 401, "UNAUTHORIZED")


# --- refresh-token families ------------------------------------------------------


async def refresh(api: Any, token: str) -> Any:
    return await api.post("/api/v1/auth/refresh", json={"refreshToken": token})


async def test_reusing_a_refresh_token_revokes_its_whole_family(api: Any) -> None:
    account = await register(api, "victim")
    first = await refresh(api, account.refresh_token)
    assert first.status_code == 200
    second = await refresh(api, first.json()["data"]["refreshToken"])
    assert second.status_code == 200
    latest = second.json()["data"]
    family = [account.refresh_token, first.json()["data"]["refreshToken"], latest["refreshToken"]]

    # a copy of the first token is presented again
    assert_error(await refresh(api, account.refresh_token), 401, "UNAUTHORIZED")

    # every refresh token of the family is dead, including the newest, unused one
    for token in family:
        assert_error(await refresh(api, token), 401, "UNAUTHORIZED")

    # access tokens are stateless: they stay valid until they expire (15 minutes)
    me = await api.get(ME, headers={"Authorization": f"Bearer {latest['accessToken']}"})
    assert me.status_code == 200
    assert me.json()["data"]["id"] == account.id


async def test_revoking_one_family_leaves_other_sessions_alone(api: Any) -> None:
    account = await register(api, "victim")
    login = await api.post("/api/v1/auth/login", json={"email": account.email, "password": "correct horse battery"})
    assert login.status_code == 200
    other_session = login.json()["data"]["refreshToken"]

    rotated = await refresh(api, account.refresh_token)
    assert rotated.status_code == 200
    assert_error(await refresh(api, account.refresh_token), 401, "UNAUTHORIZED")

    still = await refresh(api, other_session)
    assert still.status_code == 200
    assert still.json()["data"]["user"]["id"] == account.id


async def test_reuse_of_the_latest_used_token_also_revokes(api: Any) -> None:
    """Reuse is detected for any used token of the family, not only the first."""
    account = await register(api, "victim")
    first = (await refresh(api, account.refresh_token)).json()["data"]["refreshToken"]
    second = (await refresh(api, first)).json()["data"]["refreshToken"]
    assert_error(await refresh(api, first), 401, "UNAUTHORIZED")
    assert_error(await refresh(api, second), 401, "UNAUTHORIZED")


async def test_logout_revokes_the_family(api: Any) -> None:
    account = await register(api, "leaver")
    rotated = (await refresh(api, account.refresh_token)).json()["data"]["refreshToken"]
    assert (await api.post("/api/v1/auth/logout", json={"refreshToken": account.refresh_token})).status_code == 204
    assert_error(await refresh(api, rotated), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("token", ["", "garbage", "x" * 5000])
async def test_unknown_refresh_tokens_are_unauthorized(client: Any, token: str) -> None:
    assert_error(await refresh(client, token), 401, "UNAUTHORIZED")


async def test_an_access_token_is_not_a_refresh_token(client: Any) -> None:
    account: Account = await register(client)
    assert_error(await refresh(client, account.access_token), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("method", "path"), routes_where(lambda handler: "principal" in handler.resolve_dependencies())
)
async def test_a_validly_signed_token_of_no_user_is_401_on_every_route(client: Any, method: str, path: str) -> None:
    token = sign(claims_for(str(uuid.uuid4())))
    response = await client.request(method, path, headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "UNAUTHORIZED")


async def test_a_token_of_no_user_writes_nothing(api: Any) -> None:
    """It was a 201 (a workspace owned by no one) on the memory profile and a 500 on PostgreSQL."""
    ghost = {"Authorization": f"Bearer {sign(claims_for(str(uuid.uuid4())))}"}
    assert_error(await api.post(WORKSPACES, json={"name": "Nobody's"}, headers=ghost), 401, "UNAUTHORIZED")
    owner = await register(api, "owner")
    workspace = await create_workspace(api, owner)
    records = f"{WORKSPACES}/{workspace}/records"
    body = {"kind": "person", "inputs": {"email": "ghost@example.com"}}
    assert_error(await api.post(records, json=body, headers=ghost), 401, "UNAUTHORIZED")
    assert_error(await api.get(records, headers=ghost), 401, "UNAUTHORIZED")
    assert (await api.get(records, headers=owner.headers)).json()["data"] == []
    assert [w["name"] for w in (await api.get(WORKSPACES, headers=owner.headers)).json()["data"]] == ["Acme"]
