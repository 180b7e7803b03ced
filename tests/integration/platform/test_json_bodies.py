"""Every route that takes a JSON body refuses what is not JSON, or nests too deep, with a clean 4xx.

The routes are read off the app itself, so a route added later is covered without a new line here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from entrypoints.http.strict_body import MAX_JSON_DEPTH, json_body_parameter, nests_deeper_than, takes_json
from tests.api import assert_error, create_workspace, register
from tests.routes import routes_where

JSON_ROUTES = routes_where(lambda handler: json_body_parameter(handler) is not None)


def nested(depth: int, *, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def deep_object(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def test_every_route_with_a_body_is_covered() -> None:
    assert ("POST", "/api/v1/auth/register") in JSON_ROUTES
    assert ("POST", "/api/v1/auth/login") in JSON_ROUTES
    assert len(JSON_ROUTES) >= 17


DEEP_BODIES = {
    "arrays-1000": nested(1000),
    "objects-1000": deep_object(1000),
    "arrays-unclosed-5000": b"[" * 5000,
    "mixed-10000": b'{"name": ' + b'[{"a": ' * 5000 + b"1" + b"}]" * 5000 + b"}",
    f"arrays-{MAX_JSON_DEPTH + 1}": nested(MAX_JSON_DEPTH + 1),
}


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("body", list(DEEP_BODIES))
async def test_deep_nesting_is_a_400_on_every_json_route(client: Any, method: str, path: str, body: str) -> None:
    response = await client.request(
        method, path, content=DEEP_BODIES[body], headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "VALIDATION_FAILED")


NOT_JSON = {
    "text/plain": "text/plain",
    "xml": "application/xml",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "json-in-latin1": "application/json; charset=latin-1",
    "json-lookalike": "text/json",
}


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("content_type", list(NOT_JSON))
async def test_a_body_that_is_not_json_is_415_on_every_json_route(
    client: Any, method: str, path: str, content_type: str
) -> None:
    headers = {"Content-Type": NOT_JSON[content_type]}
    response = await client.request(method, path, content=b'{"name": "x"}', headers=headers)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
async def test_a_body_without_a_content_type_is_415(client: Any, method: str, path: str) -> None:
    request = client.build_request(method, path, content=b'{"name": "x"}')
    assert "content-type" not in request.headers
    assert_error(await client.send(request), 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_record_sent_as_text_plain_is_refused_and_not_stored(client: Any) -> None:
    owner = await register(client)
    workspace = await create_workspace(client, owner)
    records = f"/api/v1/workspaces/{workspace}/records"
    body = json.dumps({"kind": "person", "inputs": {"email": "plain@example.com"}}).encode()
    response = await client.post(records, content=body, headers={**owner.headers, "Content-Type": "text/plain"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert (await client.get(records, headers=owner.headers)).json()["data"] == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_media_types_are_taken(client: Any, content_type: str) -> None:
    body = json.dumps({"email": f"{uuid.uuid4().hex}@example.com", "password": "a long passphrase", "name": "J"})
    response = await client.post("/api/v1/auth/register", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text


async def test_the_deepest_allowed_body_reaches_the_schema_check(client: Any) -> None:
    deepest = b'{"email": ' + nested(MAX_JSON_DEPTH - 1) + b', "password": "a long passphrase", "name": "J"}'
    response = await client.post("/api/v1/auth/register", content=deepest, headers={"Content-Type": "application/json"})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in error["details"]] == ["email"]


def test_the_depth_counts_brackets_outside_strings_only() -> None:
    assert not nests_deeper_than(b'{"a": "' + b"[" * 100 + b'"}', 2)
    assert not nests_deeper_than(b'{"a": "\\"[[[[[[", "b": [1]}', 2)
    assert nests_deeper_than(b'{"a": [[1]]}', 2)
    assert not nests_deeper_than(b'{"a": [[1]]}', 3)
    assert not nests_deeper_than(nested(32), 32)
    assert nests_deeper_than(nested(33), 32)
    assert nests_deeper_than(b"[[[[[[", 2), "open, even if never closed"


def test_json_media_types() -> None:
    assert takes_json("application/json")
    assert takes_json("Application/JSON; charset=UTF-8")
    assert takes_json("application/problem+json")
    assert not takes_json("application/json; charset=utf-16")
    assert not takes_json("text/plain")
    assert not takes_json("application/jsonx")
    assert not takes_json("")
