"""Bad input on every route that takes some: always the error envelope, never a 500, nothing written.

Malformed JSON is 400 VALIDATION_FAILED; a well-formed body that breaks the
schema (unknown, missing or mistyped fields, not an object) is 422; bodies
over 1 MiB are 413 PAYLOAD_TOO_LARGE; ids that are not UUIDs match no route
(404 NOT_FOUND); bad `limit`/`cursor` values are 422.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api import PASSWORD, Account, add_member, assert_error, create_workspace, register

MIB = 1024 * 1024
FRESH_EMAIL = "fresh@example.com"


@dataclass(slots=True)
class World:
    owner: Account
    member: Account
    workspace: str
    invitation: str

    def url(self, template: str) -> str:
        return template.format(workspace=self.workspace, member=self.member.id, invitation=self.invitation)


async def make_world(api: Any) -> World:
    owner = await register(api, "owner")
    member = await register(api, "member")
    workspace = await create_workspace(api, owner, "Original")
    await add_member(api, workspace, owner, member, "member")
    invited = await api.post(
        f"/api/v1/workspaces/{workspace}/invitations",
        json={"email": "pending@example.com", "role": "viewer"},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    return World(owner, member, workspace, invited.json()["data"]["id"])


async def state(api: Any, world: World) -> dict[str, Any]:
    """What a rejected request must not change."""
    headers = world.owner.headers
    base = f"/api/v1/workspaces/{world.workspace}"
    mine = await api.get("/api/v1/workspaces", params={"limit": 200}, headers=headers)
    members = await api.get(f"{base}/members", params={"limit": 200}, headers=headers)
    invitations = await api.get(f"{base}/invitations", params={"limit": 200}, headers=headers)
    member_workspaces = await api.get("/api/v1/workspaces", headers=world.member.headers)
    return {
        "mine": [(w["id"], w["name"], w["role"]) for w in mine.json()["data"]],
        "members": sorted((m["userId"], m["role"]) for m in members.json()["data"]),
        "invitations": [(i["id"], i["email"], i["role"], i["status"]) for i in invitations.json()["data"]],
        "member_workspaces": [(w["id"], w["role"]) for w in member_workspaces.json()["data"]],
    }


async def assert_fresh_email_is_free(api: Any) -> None:
    """The email of the rejected requests was never registered."""
    response = await api.post("/api/v1/auth/register", json={"email": FRESH_EMAIL, "password": PASSWORD, "name": "F"})
    assert response.status_code == 201, response.text


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    error = assert_error(response, status, code)
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    assert response.headers["content-type"].startswith("application/json")
    return error


# --- body shape --------------------------------------------------------------------

TARGETS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "register": ("POST", "/api/v1/auth/register", {"email": FRESH_EMAIL, "password": PASSWORD, "name": "Fresh"}),
    "login": ("POST", "/api/v1/auth/login", {"email": FRESH_EMAIL, "password": PASSWORD}),
    "refresh": ("POST", "/api/v1/auth/refresh", {"refreshToken": "not-a-real-token"}),
    "logout": ("POST", "/api/v1/auth/logout", {"refreshToken": "not-a-real-token"}),
    "create-workspace": ("POST", "/api/v1/workspaces", {"name": "Brand new"}),
    "rename-workspace": ("PATCH", "/api/v1/workspaces/{workspace}", {"name": "Renamed"}),
    "change-role": ("PATCH", "/api/v1/workspaces/{workspace}/members/{member}", {"role": "viewer"}),
    "invite": ("POST", "/api/v1/workspaces/{workspace}/invitations", {"email": FRESH_EMAIL, "role": "admin"}),
}

MALFORMED = {
    "unclosed": b'{"name": "x"',
    "trailing-comma": b'{"name": "x",}',
    "single-quotes": b"{'name': 'x'}",
    "trailing-garbage": b'{"name": "x"}}',
    "bare-word": b"hello",
    "bad-literal": b'{"name": tru}',
    "not-utf8-outside-a-string": b'\xff{"name": "x"}',
    "only-brace": b"{",
}
# msgspec raises UnicodeDecodeError (not a DecodeError) for invalid UTF-8 inside a string;
# Litestar lets it through and our catch-all turns it into a 500.
NOT_UTF8_IN_STRING = b'{"name": "\xff\xfe"}'
NOT_AN_OBJECT = {"array": [], "string": "text", "number": 42, "null": None, "true": True}


def shape_cases() -> list[Any]:
    cases = []
    for target, (_, _, valid) in TARGETS.items():
        for name, raw in MALFORMED.items():
            cases.append(pytest.param(target, raw, 400, id=f"{target}-malformed-{name}"))
        cases.append(pytest.param(target, NOT_UTF8_IN_STRING, 400, id=f"{target}-malformed-not-utf8"))
        for name, value in NOT_AN_OBJECT.items():
            cases.append(pytest.param(target, json.dumps(value).encode(), 422, id=f"{target}-not-object-{name}"))
        cases.append(pytest.param(target, json.dumps([valid]).encode(), 422, id=f"{target}-not-object-list"))
        cases.append(pytest.param(target, b"{}", 422, id=f"{target}-empty-object"))
        for extra in ("unexpected", "isPlatformAdmin", "role", "workspaceId", "id"):
            if extra in valid:
                continue
            body = json.dumps({**valid, extra: "owner"}).encode()
            cases.append(pytest.param(target, body, 422, id=f"{target}-unknown-{extra}"))
        for field in valid:
            missing = {k: v for k, v in valid.items() if k != field}
            cases.append(pytest.param(target, json.dumps(missing).encode(), 422, id=f"{target}-missing-{field}"))
            for kind, wrong in {"int": 123, "null": None, "list": ["x"], "object": {"x": 1}, "bool": True}.items():
                body = json.dumps({**valid, field: wrong}).encode()
                cases.append(pytest.param(target, body, 422, id=f"{target}-{field}-as-{kind}"))
        # snake_case is not our spelling: `refresh_token` is an unknown field
        snake = {"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in valid.items()}
        if snake != valid:
            cases.append(pytest.param(target, json.dumps(snake).encode(), 422, id=f"{target}-snake-case"))
    return cases


@pytest.mark.parametrize(("target", "raw", "status"), shape_cases())
async def test_bad_bodies_are_rejected_in_the_envelope_and_write_nothing(
    client: Any, target: str, raw: bytes, status: int
) -> None:
    world = await make_world(client)
    before = await state(client, world)
    method, template, _ = TARGETS[target]
    response = await client.request(
        method,
        world.url(template),
        content=raw,
        headers={**world.owner.headers, "Content-Type": "application/json"},
    )
    error = assert_envelope(response, status, "VALIDATION_FAILED")
    if status == 422:
        assert error["details"], "a schema error names what is wrong"
    assert await state(client, world) == before
    await assert_fresh_email_is_free(client)


@pytest.mark.parametrize("target", list(TARGETS))
async def test_an_empty_body_is_a_validation_error(client: Any, target: str) -> None:
    world = await make_world(client)
    before = await state(client, world)
    method, template, _ = TARGETS[target]
    headers = {**world.owner.headers, "Content-Type": "application/json"}
    response = await client.request(method, world.url(template), content=b"", headers=headers)
    assert response.status_code in {400, 422}
    assert_envelope(response, response.status_code, "VALIDATION_FAILED")
    assert await state(client, world) == before


async def test_missing_and_unknown_fields_are_named(client: Any) -> None:
    response = await client.post("/api/v1/auth/register", json={"email": FRESH_EMAIL, "name": "No password"})
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert "password" in json.dumps(error["details"])
    response = await client.post(
        "/api/v1/auth/register", json={"email": FRESH_EMAIL, "password": PASSWORD, "name": "N", "isAdmin": True}
    )
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert "isAdmin" in json.dumps(error["details"])
    response = await client.post("/api/v1/auth/register", json={"email": 5, "password": PASSWORD, "name": "N"})
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == ["email"]
    await assert_fresh_email_is_free(client)


# --- values the domain refuses ------------------------------------------------------

BAD_EMAILS = [
    "not-an-email",
    "no-at-sign.example.com",
    "@example.com",
    "user@",
    "user@localhost",
    "two@@example.com",
    "with space@example.com",
    "",
    "   ",
    "x" * 250 + "@example.com",
]


@pytest.mark.parametrize("email", BAD_EMAILS)
async def test_register_rejects_a_bad_email(api: Any, email: str) -> None:
    response = await api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "N"})
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == ["email"]
    await assert_fresh_email_is_free(api)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "short"),
        ("password", "123456789"),
        ("password", "p" * 257),
        ("password", "p" * 100_000),
        ("name", ""),
        ("name", "    "),
        ("name", "n" * 201),
    ],
)
async def test_register_rejects_bad_password_and_name(api: Any, field: str, value: str) -> None:
    body = {"email": FRESH_EMAIL, "password": PASSWORD, "name": "Fresh", field: value}
    error = assert_envelope(await api.post("/api/v1/auth/register", json=body), 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == [field]
    await assert_fresh_email_is_free(api)


@pytest.mark.parametrize("email", BAD_EMAILS)
async def test_login_with_a_bad_email_is_just_a_failed_login(api: Any, email: str) -> None:
    response = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert_envelope(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 101])
async def test_workspace_names_are_1_to_100_characters(api: Any, name: str) -> None:
    world = await make_world(api)
    before = await state(api, world)
    created = await api.post("/api/v1/workspaces", json={"name": name}, headers=world.owner.headers)
    assert_envelope(created, 422, "VALIDATION_FAILED")
    renamed = await api.patch(f"/api/v1/workspaces/{world.workspace}", json={"name": name}, headers=world.owner.headers)
    assert_envelope(renamed, 422, "VALIDATION_FAILED")
    assert await state(api, world) == before


@pytest.mark.parametrize("email", BAD_EMAILS)
async def test_invite_rejects_a_bad_email(api: Any, email: str) -> None:
    world = await make_world(api)
    before = await state(api, world)
    response = await api.post(
        f"/api/v1/workspaces/{world.workspace}/invitations",
        json={"email": email, "role": "member"},
        headers=world.owner.headers,
    )
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == ["email"]
    assert await state(api, world) == before


BAD_ROLES = ["king", "OWNER", "Owner", "admin ", "", "superadmin", "guest"]


@pytest.mark.parametrize("role", BAD_ROLES)
async def test_an_invalid_role_is_rejected(api: Any, role: str) -> None:
    world = await make_world(api)
    before = await state(api, world)
    changed = await api.patch(
        f"/api/v1/workspaces/{world.workspace}/members/{world.member.id}",
        json={"role": role},
        headers=world.owner.headers,
    )
    assert [d["field"] for d in assert_envelope(changed, 422, "VALIDATION_FAILED")["details"]] == ["role"]
    invited = await api.post(
        f"/api/v1/workspaces/{world.workspace}/invitations",
        json={"email": FRESH_EMAIL, "role": role},
        headers=world.owner.headers,
    )
    assert [d["field"] for d in assert_envelope(invited, 422, "VALIDATION_FAILED")["details"]] == ["role"]
    assert await state(api, world) == before


@pytest.mark.parametrize(
    "target",
    ["register-email", "register-name", "create-workspace", "rename-workspace", "invite-email"],
)
async def test_a_nul_character_is_a_validation_error(api: Any, target: str) -> None:
    world = await make_world(api)
    before = await state(api, world)
    headers = world.owner.headers
    base = f"/api/v1/workspaces/{world.workspace}"
    requests = {
        "register-email": ("POST", "/api/v1/auth/register", {"email": "nul\x00@example.com", "password": PASSWORD}),
        "register-name": ("POST", "/api/v1/auth/register", {"email": FRESH_EMAIL, "password": PASSWORD}),
        "create-workspace": ("POST", "/api/v1/workspaces", {"name": "a\x00b"}),
        "rename-workspace": ("PATCH", base, {"name": "a\x00b"}),
        "invite-email": ("POST", f"{base}/invitations", {"email": "nul\x00@example.com", "role": "member"}),
    }
    method, url, body = requests[target]
    if target.startswith("register"):
        body = {"name": "a\x00b" if target == "register-name" else "N", **body}
    response = await api.request(method, url, json=body, headers=headers)
    assert_envelope(response, 422, "VALIDATION_FAILED")
    assert await state(api, world) == before
    await assert_fresh_email_is_free(api)


@pytest.mark.parametrize(
    "api",
    ["client", "pg_client"],
    indirect=True,
)
async def test_login_with_a_nul_in_the_email_is_a_failed_login(api: Any) -> None:
    response = await api.post("/api/v1/auth/login", json={"email": "nul\x00@example.com", "password": PASSWORD})
    assert_envelope(response, 401, "UNAUTHORIZED")


# --- size ----------------------------------------------------------------------------


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with trailing whitespace (still valid JSON) to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


@pytest.mark.parametrize("target", list(TARGETS))
async def test_a_body_over_one_mib_is_payload_too_large(client: Any, target: str) -> None:
    world = await make_world(client)
    before = await state(client, world)
    method, template, valid = TARGETS[target]
    headers = {**world.owner.headers, "Content-Type": "application/json"}
    for raw in (padded(valid, MIB + 1), json.dumps({**valid, "pad": "x" * (2 * MIB)}).encode()):
        response = await client.request(method, world.url(template), content=raw, headers=headers)
        assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert await state(client, world) == before
    await assert_fresh_email_is_free(client)


async def test_a_body_of_exactly_one_mib_is_accepted(client: Any) -> None:
    _, _, valid = TARGETS["register"]
    response = await client.post(
        "/api/v1/auth/register", content=padded(valid, MIB), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


async def asgi_post(app: Any, path: str, chunks: list[bytes]) -> tuple[int, dict[str, str], bytes]:
    """POST through the raw ASGI interface with a chunked body and no Content-Length."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


async def test_a_chunked_body_over_one_mib_is_payload_too_large(client: Any) -> None:
    status, headers, body = await asgi_post(client.app, "/api/v1/auth/register", [b" " * 65536] * 17)
    assert status == 413
    envelope = json.loads(body)
    assert envelope["success"] is False
    assert envelope["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert envelope["meta"]["requestId"] == headers["x-request-id"]

    # the same route, a small chunked body: fine
    valid = json.dumps(TARGETS["register"][2]).encode()
    status, _, body = await asgi_post(client.app, "/api/v1/auth/register", [valid[:10], valid[10:]])
    assert status == 201, body


# --- path parameters -------------------------------------------------------------------

BAD_IDS = [
    "not-a-uuid",
    "1",
    "01a21d8b-a111-732d-bac1-51197b74d61",
    "01a21d8b-a111-732d-bac1-51197b74d610a",
    "g1a21d8b-a111-732d-bac1-51197b74d610",
    "%27%20OR%201%3D1--",
    "null",
]
PATH_ROUTES = [
    ("GET", "/api/v1/workspaces/{bad}"),
    ("PATCH", "/api/v1/workspaces/{bad}"),
    ("DELETE", "/api/v1/workspaces/{bad}"),
    ("GET", "/api/v1/workspaces/{bad}/members"),
    ("PATCH", "/api/v1/workspaces/{bad}/members/{member}"),
    ("PATCH", "/api/v1/workspaces/{workspace}/members/{bad}"),
    ("DELETE", "/api/v1/workspaces/{workspace}/members/{bad}"),
    ("DELETE", "/api/v1/workspaces/{bad}/members/{member}"),
    ("POST", "/api/v1/workspaces/{bad}/invitations"),
    ("GET", "/api/v1/workspaces/{bad}/invitations"),
    ("DELETE", "/api/v1/workspaces/{workspace}/invitations/{bad}"),
    ("DELETE", "/api/v1/workspaces/{bad}/invitations/{invitation}"),
]


@pytest.mark.parametrize(("method", "template"), PATH_ROUTES, ids=[f"{m} {p}" for m, p in PATH_ROUTES])
async def test_ids_that_are_not_uuids_are_not_found(client: Any, method: str, template: str) -> None:
    world = await make_world(client)
    before = await state(client, world)
    bodies = {"PATCH": {"name": "x", "role": "viewer"}, "POST": {"email": FRESH_EMAIL, "role": "member"}}
    for bad in BAD_IDS:
        url = template.format(bad=bad, workspace=world.workspace, member=world.member.id, invitation=world.invitation)
        kwargs: dict[str, Any] = {"headers": world.owner.headers}
        if method in bodies:
            kwargs["json"] = bodies[method]
        response = await client.request(method, url, **kwargs)
        assert_envelope(response, 404, "NOT_FOUND")
    assert await state(client, world) == before


async def test_an_odd_invitation_token_is_not_found(client: Any) -> None:
    world = await make_world(client)
    for token in ["x", "x" * 4000, "%20", "..", "%2e%2e", "' OR 1=1 --", "", "\u202e"]:
        response = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=world.member.headers)
        assert_envelope(response, 404, "NOT_FOUND")


# --- query parameters ------------------------------------------------------------------

BAD_QUERIES = [
    {"limit": "0"},
    {"limit": "-1"},
    {"limit": "201"},
    {"limit": "99999999999999999999999"},
    {"limit": "abc"},
    {"limit": "1.5"},
    {"limit": ""},
    {"cursor": "garbage!"},
    {"cursor": "bm90LWEtY3Vyc29y"},  # "not-a-cursor"
    {"cursor": "MjAyNC0wMS0wMVQwMDowMDowMHxub3R1dWlk"},  # "2024-01-01T00:00:00|notuuid"
    # a naive timestamp: "2024-01-01T00:00:00|00000000-0000-0000-0000-000000000000"
    {"cursor": "MjAyNC0wMS0wMVQwMDowMDowMHwwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"},
    {"cursor": "a" * 513},
    {"cursor": "%00"},
]
LIST_ROUTES = [
    "/api/v1/workspaces",
    "/api/v1/workspaces/{workspace}/members",
    "/api/v1/workspaces/{workspace}/invitations",
]


@pytest.mark.parametrize("route", LIST_ROUTES)
@pytest.mark.parametrize("query", BAD_QUERIES, ids=[f"{k}={v[:20]}" for q in BAD_QUERIES for k, v in q.items()])
async def test_bad_limit_and_cursor_are_validation_errors(api: Any, route: str, query: dict[str, str]) -> None:
    world = await make_world(api)
    response = await api.get(world.url(route), params=query, headers=world.owner.headers)
    error = assert_envelope(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == list(query)
