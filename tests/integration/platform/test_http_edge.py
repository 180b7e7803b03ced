"""The HTTP edge: request ids, security headers, caching of auth answers, ops routes, OpenAPI.

Every answer, whatever its status and whoever produced it (a handler, an
exception handler, the router for unknown routes and methods), carries
X-Request-Id and the security headers; the OpenAPI document describes every
route, and the answers match what it documents.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import PASSWORD, Account, add_member, create_workspace, register
from tests.conftest import test_settings
from tests.support.edge import assert_edge_headers

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


# --- a tiny JSON-schema check, enough for the documents Litestar writes ----------


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_errors(spec: dict[str, Any], schema: dict[str, Any], value: Any, at: str = "$") -> list[str]:
    schema = resolve(spec, schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        if any(not schema_errors(spec, s, value, at) for s in alternatives):
            return []
        return [f"{at}: matches none of {len(alternatives)} alternatives"]
    errors: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_JSON_TYPES[k](value) for k in kinds):
            return [f"{at}: {value!r:.60} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    if isinstance(value, dict):
        errors += [f"{at}.{k}: required" for k in schema.get("required", []) if k not in value]
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(spec, properties[key], item, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}.{key}: not allowed")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(spec, schema["items"], item, f"{at}[{i}]")
    return errors


def test_the_schema_check_catches_a_wrong_answer() -> None:
    """The checker used below can fail: a control on a hand-written document."""
    spec = {
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id", "tags"],
                    "properties": {
                        "id": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "next": {"oneOf": [{"type": "string"}, {"type": "null"}]},
                    },
                }
            }
        }
    }
    ref = {"$ref": "#/components/schemas/Thing"}
    assert schema_errors(spec, ref, {"id": "a", "tags": ["x"], "next": None}) == []
    assert schema_errors(spec, ref, {"id": 1, "tags": ["x"]}) == ["$.id: 1 is not ['string']"]
    assert schema_errors(spec, ref, {"tags": [2]}) == ["$.id: required", "$.tags[0]: 2 is not ['string']"]
    assert schema_errors(spec, ref, {"id": "a", "tags": [], "next": 3}) != []
    assert schema_errors(spec, ref, None) != []


def spec_path(route_path: str) -> str:
    """`/a/{id:uuid}` as OpenAPI writes it: `/a/{id}`."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


def documented_response(spec: dict[str, Any], method: str, url_path: str, status: int) -> dict[str, Any] | None:
    """The schema documented for `status` of the operation serving `url_path`, if any."""
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"
        if re.match(pattern, url_path) and method.lower() in operations:
            responses = operations[method.lower()]["responses"]
            documented = responses.get(str(status))
            assert documented is not None, f"{method} {template}: status {status} is not documented"
            content = documented.get("content", {}).get("application/json")
            return content["schema"] if content else {}
    return None


# --- every answer ---------------------------------------------------------------------


@dataclass(slots=True)
class World:
    owner: Account
    viewer: Account
    workspace: str


async def make_world(api: Any) -> World:
    owner = await register(api, "owner")
    viewer = await register(api, "viewer")
    workspace = await create_workspace(api, owner, "Edge")
    await add_member(api, workspace, owner, viewer, "viewer")
    return World(owner, viewer, workspace)


async def rate_limited(api: Any, world: World) -> Any:
    for _ in range(10):
        await api.post("/api/v1/auth/login", json={"email": world.owner.email, "password": "wrong password"})
    return await api.post("/api/v1/auth/login", json={"email": world.owner.email, "password": PASSWORD})


JSON = {"Content-Type": "application/json"}
SCENARIOS: dict[str, tuple[int, Callable[[Any, World], Awaitable[Any]]]] = {
    "health-200": (200, lambda api, w: api.get("/api/v1/health")),
    "readiness-200": (200, lambda api, w: api.get("/api/v1/readiness")),
    "register-201": (
        201,
        lambda api, w: api.post(
            "/api/v1/auth/register", json={"email": "edge@example.com", "password": PASSWORD, "name": "E"}
        ),
    ),
    "login-200": (
        200,
        lambda api, w: api.post("/api/v1/auth/login", json={"email": w.owner.email, "password": PASSWORD}),
    ),
    "me-200": (200, lambda api, w: api.get("/api/v1/auth/me", headers=w.owner.headers)),
    "list-200": (200, lambda api, w: api.get("/api/v1/workspaces", headers=w.owner.headers)),
    "members-200": (200, lambda api, w: api.get(f"/api/v1/workspaces/{w.workspace}/members", headers=w.viewer.headers)),
    "create-201": (201, lambda api, w: api.post("/api/v1/workspaces", json={"name": "X"}, headers=w.owner.headers)),
    "delete-204": (204, lambda api, w: api.delete(f"/api/v1/workspaces/{w.workspace}", headers=w.owner.headers)),
    "logout-204": (204, lambda api, w: api.post("/api/v1/auth/logout", json={"refreshToken": w.owner.refresh_token})),
    "malformed-400": (400, lambda api, w: api.post("/api/v1/auth/login", content=b"{nope", headers=JSON)),
    "no-token-401": (401, lambda api, w: api.get("/api/v1/workspaces")),
    "bad-token-401": (401, lambda api, w: api.get("/api/v1/auth/me", headers={"Authorization": "Bearer x.y.z"})),
    "forbidden-403": (
        403,
        lambda api, w: api.patch(f"/api/v1/workspaces/{w.workspace}", json={"name": "Y"}, headers=w.viewer.headers),
    ),
    "not-found-404": (404, lambda api, w: api.get(f"/api/v1/workspaces/{uuid.uuid4()}", headers=w.owner.headers)),
    "unknown-route-404": (404, lambda api, w: api.get("/api/v1/no-such-route")),
    "unknown-root-404": (404, lambda api, w: api.get("/definitely/not/here")),
    "not-a-uuid-404": (404, lambda api, w: api.get("/api/v1/workspaces/not-a-uuid", headers=w.owner.headers)),
    "method-405": (405, lambda api, w: api.delete("/api/v1/auth/me", headers=w.owner.headers)),
    "method-put-405": (405, lambda api, w: api.put("/api/v1/workspaces", json={}, headers=w.owner.headers)),
    "conflict-409": (
        409,
        lambda api, w: api.post(
            "/api/v1/auth/register", json={"email": w.owner.email, "password": PASSWORD, "name": "Again"}
        ),
    ),
    "too-large-413": (
        413,
        lambda api, w: api.post("/api/v1/workspaces", content=b" " * (1024 * 1024 + 1), headers=JSON),
    ),
    "validation-422": (422, lambda api, w: api.post("/api/v1/workspaces", json={"nom": "x"}, headers=w.owner.headers)),
    "rate-limited-429": (429, rate_limited),
    "openapi-200": (200, lambda api, w: api.get("/schema/openapi.json")),
    "preflight-options": (204, lambda api, w: api.options("/api/v1/workspaces")),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_every_answer_has_a_request_id_and_the_security_headers(client: Any, scenario: str) -> None:
    status, call = SCENARIOS[scenario]
    world = await make_world(client)
    response = await call(client, world)
    assert response.status_code == status, response.text
    assert_edge_headers(response)
    if status >= 400:
        body = response.json()
        assert body["success"] is False
        assert body["data"] is None
        assert re.match(r"^[A-Z][A-Z_]+$", body["error"]["code"])
    if status == 429:
        assert int(response.headers["retry-after"]) >= 1
    if status == 405:
        assert "GET" in response.headers["allow"] or "POST" in response.headers["allow"]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_every_answer_matches_the_documented_schema(client: Any, scenario: str) -> None:
    status, call = SCENARIOS[scenario]
    world = await make_world(client)
    spec = (await client.get("/schema/openapi.json")).json()
    response = await call(client, world)
    assert response.status_code == status
    schema = documented_response(spec, response.request.method, response.request.url.path, status)
    if schema is None:  # no operation: unknown routes, the schema itself
        return
    if status == 204:
        assert response.content == b""
        return
    assert schema_errors(spec, schema, response.json()) == []


async def test_requests_get_distinct_generated_ids(client: Any) -> None:
    ids = {assert_edge_headers(await client.get("/api/v1/health")) for _ in range(5)}
    assert len(ids) == 5


# a fixed UUID: pytest-xdist workers must collect the same test ids
@pytest.mark.parametrize("incoming", ["abcdefgh", "req-123.456_789", "A" * 128, "0f9a4c52-3d1e-4b7a-9c2f-6e8d1a5b7c30"])
async def test_a_valid_incoming_request_id_is_echoed(client: Any, incoming: str) -> None:
    ok = await client.get("/api/v1/health", headers={"X-Request-Id": incoming})
    assert ok.headers["x-request-id"] == incoming
    assert ok.json()["meta"]["requestId"] == incoming
    failed = await client.get("/api/v1/workspaces", headers={"X-Request-Id": incoming})
    assert failed.status_code == 401
    assert failed.headers["x-request-id"] == incoming
    assert failed.json()["meta"]["requestId"] == incoming
    unknown = await client.get("/api/v1/nowhere", headers={"X-Request-Id": incoming})
    assert unknown.headers["x-request-id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["short", "A" * 129, "has space inside", "semi;colon-123", "<script>alert(1)</script>", 'quote"d-12345', ""],
)
async def test_an_invalid_incoming_request_id_is_replaced(client: Any, incoming: str) -> None:
    response = await client.get("/api/v1/health", headers={"X-Request-Id": incoming})
    request_id = assert_edge_headers(response)
    assert request_id != incoming
    assert response.json()["meta"]["requestId"] == request_id


AUTH_CALLS: dict[str, Callable[[Any, Account], Awaitable[Any]]] = {
    "register": lambda api, a: api.post(
        "/api/v1/auth/register", json={"email": "cache@example.com", "password": PASSWORD, "name": "C"}
    ),
    "login": lambda api, a: api.post("/api/v1/auth/login", json={"email": a.email, "password": PASSWORD}),
    "refresh": lambda api, a: api.post("/api/v1/auth/refresh", json={"refreshToken": a.refresh_token}),
    "me": lambda api, a: api.get("/api/v1/auth/me", headers=a.headers),
    "logout": lambda api, a: api.post("/api/v1/auth/logout", json={"refreshToken": a.refresh_token}),
}


@pytest.mark.parametrize("route", list(AUTH_CALLS))
async def test_auth_answers_are_not_cached(client: Any, route: str) -> None:
    account = await register(client, "cache")
    response = await AUTH_CALLS[route](client, account)
    assert response.status_code < 300, response.text
    directives = {d.strip() for d in response.headers["cache-control"].split(",")}
    assert "no-store" in directives


# --- ops -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/v1/health", "/api/v1/readiness"])
async def test_health_and_readiness_answer_in_the_envelope(api: Any, route: str) -> None:
    response = await api.get(route)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["error"] is None
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    data = body["data"]
    assert data["status"] == "ok"
    components = {c["name"]: c for c in data["components"]}
    assert set(components) == {"database", "redis", "temporal", "replication"}
    for component in components.values():
        assert set(component) == {"name", "status", "latencyMs", "required", "detail"}
        assert component["status"] == "ok"
        assert component["latencyMs"] >= 0
    # Redis and Temporal are never required (Cascade runs degraded without them)
    assert components["redis"]["required"] is False
    assert components["temporal"]["required"] is False
    assert components["replication"]["required"] is False
    assert components["replication"]["detail"].startswith("search: 0 events behind")


async def test_health_reports_temporal_with_its_latency_and_degrades_without_it(
    migrated_url: str, clean_pool: Any, redis_url: str, temporal_address: str
) -> None:
    for address, expected, overall in ((temporal_address, "ok", "ok"), ("127.0.0.1:9", "degraded", "degraded")):
        settings = test_settings(
            profile="local", database_url=migrated_url, redis_url=redis_url, temporal_address=address
        )
        async with AsyncTestClient(app=create_app(settings)) as client:
            readiness = await client.get("/api/v1/readiness")
            assert readiness.status_code == 200, "jobs wait for Temporal; everything else is served"
            data = readiness.json()["data"]
            temporal = next(c for c in data["components"] if c["name"] == "temporal")
            assert (temporal["status"], temporal["required"], data["status"]) == (expected, False, overall)
            assert temporal["latencyMs"] > 0


async def test_health_on_postgres_marks_the_database_required(pg_client: Any) -> None:
    data = (await pg_client.get("/api/v1/health")).json()["data"]
    components = {c["name"]: c for c in data["components"]}
    assert components["database"]["required"] is True
    assert components["redis"]["required"] is False


@pytest.fixture
async def db_down_client(redis_url: str) -> AsyncIterator[Any]:
    """The local profile pointed at a PostgreSQL that is not there."""
    settings = test_settings(
        profile="local",
        database_url="postgresql://postgres@127.0.0.1:9/nowhere",
        redis_url=redis_url,
        database_pool_timeout=0.5,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_without_the_database_health_says_down_and_readiness_is_503(db_down_client: Any) -> None:
    health = await db_down_client.get("/api/v1/health")
    assert health.status_code == 200  # liveness: the process is up
    assert health.json()["data"]["status"] == "down"
    readiness = await db_down_client.get("/api/v1/readiness")
    assert readiness.status_code == 503
    assert_edge_headers(readiness)
    body = readiness.json()
    assert body["meta"]["requestId"] == readiness.headers["x-request-id"]
    components = {c["name"]: c["status"] for c in body["data"]["components"]}
    assert components["database"] == "down"

    register_response = await db_down_client.post(
        "/api/v1/auth/register", json={"email": "down@example.com", "password": PASSWORD, "name": "D"}
    )
    assert register_response.status_code == 503
    assert register_response.json()["success"] is False
    assert_edge_headers(register_response)


async def test_the_readiness_503_matches_its_documented_schema(db_down_client: Any) -> None:
    spec = (await db_down_client.get("/schema/openapi.json")).json()
    readiness = await db_down_client.get("/api/v1/readiness")
    assert readiness.status_code == 503
    schema = documented_response(spec, "GET", "/api/v1/readiness", 503)
    assert schema is not None
    assert schema_errors(spec, schema, readiness.json()) == []


# --- OpenAPI ----------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Operation:
    method: str
    route_path: str
    handler: HTTPRouteHandler

    @property
    def id(self) -> str:
        return f"{self.method} {self.route_path}"


def operations(app: Litestar) -> list[Operation]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in sorted(handler.http_methods & METHODS):
                found.append(Operation(method, route.path, handler))
    return sorted(found, key=lambda op: (op.route_path, op.method))  # one order in every pytest-xdist worker


_APP = create_app(test_settings())
OPERATIONS = operations(_APP)


def operation_params() -> list[Any]:
    return [pytest.param(op, id=op.id) for op in OPERATIONS]


@pytest.fixture
async def spec(client: Any) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert_edge_headers(response)
    document: dict[str, Any] = response.json()
    return document


async def test_the_document_covers_the_app_and_nothing_else(client: Any, spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    app_operations = {(op.method.lower(), spec_path(op.route_path)) for op in operations(client.app)}
    documented = {(method, path) for path, ops in spec["paths"].items() for method in ops if method.upper() in METHODS}
    assert app_operations - documented == set(), "routes missing from the OpenAPI document"
    assert documented - app_operations == set(), "documented routes the app does not serve"
    # the routes of API.md implemented so far
    for method, path in [
        ("get", "/api/v1/health"),
        ("get", "/api/v1/readiness"),
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/auth/me"),
        ("post", "/api/v1/workspaces"),
        ("get", "/api/v1/workspaces"),
        ("get", "/api/v1/workspaces/{workspace_id}"),
        ("patch", "/api/v1/workspaces/{workspace_id}"),
        ("delete", "/api/v1/workspaces/{workspace_id}"),
        ("get", "/api/v1/workspaces/{workspace_id}/members"),
        ("patch", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
        ("delete", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
        ("post", "/api/v1/workspaces/{workspace_id}/invitations"),
        ("get", "/api/v1/workspaces/{workspace_id}/invitations"),
        ("delete", "/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}"),
        ("post", "/api/v1/invitations/accept"),
    ]:
        assert (method, path) in documented, f"{method.upper()} {path}"
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values() if "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


def _is_envelope(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    resolved = resolve(spec, schema)
    return resolved.get("type") == "object" and {"success", "data", "error", "meta"} <= set(
        resolved.get("required", [])
    )


@pytest.mark.parametrize("op", operation_params())
async def test_every_operation_documents_its_success_answer(spec: dict[str, Any], op: Operation) -> None:
    documented = spec["paths"][spec_path(op.route_path)][op.method.lower()]
    assert documented.get("summary"), "a summary for the docs UI"
    success = {code: r for code, r in documented["responses"].items() if code.startswith("2")}
    assert list(success) == [str(op.handler.status_code)]
    response = success[str(op.handler.status_code)]
    if op.handler.media_type == "text/event-stream":
        assert list(response["content"]) == ["text/event-stream"], "a stream is not enveloped"
        return
    if op.route_path == "/api/v1/metrics":
        assert list(response["content"]) == ["text/plain; version=0.0.4"], "Prometheus' format is not enveloped"
        return
    if op.handler.status_code == 204:
        assert not response.get("content")
        return
    schema = response["content"]["application/json"]["schema"]
    assert _is_envelope(spec, schema), f"2xx schema is not the envelope: {schema}"
    data = resolve(spec, resolve(spec, schema)["properties"]["data"])
    assert data.get("type") in {"object", "array"} or "oneOf" in data, f"data is undescribed: {data}"


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_every_operation_documents_its_body_and_parameters(spec: dict[str, Any], op: Operation) -> None:
    documented = spec["paths"][spec_path(op.route_path)][op.method.lower()]
    body_param = op.handler.parsed_fn_signature.parameters.get("data")
    if body_param is None:
        assert "requestBody" not in documented
    else:
        request_body = documented["requestBody"]
        assert request_body["required"] is True
        schema = resolve(spec, request_body["content"]["application/json"]["schema"])
        assert schema["type"] == "object"
        struct = body_param.annotation
        fields = {f.encode_name for f in msgspec.structs.fields(struct)}
        assert set(schema["properties"]) == fields
        required = {f.encode_name for f in msgspec.structs.fields(struct) if f.required}
        assert set(schema.get("required", [])) == required

    path_params = re.findall(r"\{(\w+):(\w+)\}", op.route_path)
    params = {p["name"]: p for p in documented.get("parameters", []) if p["in"] == "path"}
    assert set(params) == {name for name, _ in path_params}
    for name, kind in path_params:
        assert params[name]["required"] is True
        if kind == "uuid":
            assert params[name]["schema"] == {"type": "string", "format": "uuid"}


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_protected_operations_declare_bearer_auth(client: Any, spec: dict[str, Any], op: Operation) -> None:
    documented = spec["paths"][spec_path(op.route_path)][op.method.lower()]
    protected = "principal" in op.handler.resolve_dependencies()
    if protected:
        assert documented.get("security") == [{"BearerToken": []}]
        assert "401" in documented["responses"]
        # and it is really protected
        url = re.sub(r"\{\w+:uuid\}", str(uuid.uuid4()), op.route_path)
        url = re.sub(r"\{\w+:str\}", "token", url)
        response = await client.request(op.method, url)
        assert response.status_code == 401
    else:
        assert not documented.get("security")
    assert spec["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_documented_errors_are_the_error_envelope(spec: dict[str, Any], op: Operation) -> None:
    documented = spec["paths"][spec_path(op.route_path)][op.method.lower()]
    errors = {code: r for code, r in documented["responses"].items() if code[0] in "45"}
    assert "500" in errors
    for code, response in errors.items():
        if code == "503" and op.route_path.endswith("/readiness"):
            continue  # see test_the_readiness_503_matches_its_documented_schema
        schema = resolve(spec, response["content"]["application/json"]["schema"])
        assert _is_envelope(spec, schema), f"{code}: {schema}"
        error = resolve(spec, schema["properties"]["error"])
        assert {"code", "message"} <= set(error.get("required", [])), f"{code}: {error}"
