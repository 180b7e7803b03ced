"""R4: schemathesis fuzzes every operation of the API's own OpenAPI document, in process.

Each operation gets a bounded number of generated requests (schemathesis's example, coverage and
fuzzing phases: valid and invalid data, derandomized so a failure reproduces), and every answer
must be no 5xx, a status the operation documents, a documented content type, a body matching the
documented schema and the documented response headers. The operations are whatever the document
says when the test runs, so a new route is fuzzed without touching this file.

Each operation gets a fresh owner and workspace with one of each resource a path can name (a
record, a credential, a webhook with a delivery, a job, an invitation, a second member); every
request carries the owner's bearer token (except where schemathesis deliberately drops it), and a
generated id that is a well-formed UUID is swapped for the real one, in the path and in
`recordId(s)` of a body, so requests reach the handlers instead of stopping at 404. Malformed ids
are sent as generated. The requests that build those resources (and one job too big for the
workspace's credits) are checked against the document the same way.

Nothing is excluded. Providers and webhook receivers are closed local ports (test settings), so
enrichment, credential tests and pings fail fast. The Server-Sent Events stream of a job ends only
with its job, so it is bounded rather than skipped: schemathesis stops reading it after
SSE_MAX_EVENTS events or at REQUEST_TIMEOUT_SECONDS, and still checks its status, its content type
and that it is no 5xx; text/plain answers (Prometheus metrics) are checked the same way.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.serialization import encode_json

from entrypoints.http.app import create_app
from entrypoints.wiring.settings import setting_names
from tests.api import Account, add_member, create_workspace, register
from tests.conftest import test_settings

EXAMPLES_PER_OPERATION = 20
SSE_MAX_EVENTS = 3
REQUEST_TIMEOUT_SECONDS = 5.0
LOOPBACK_HOOK = "http://127.0.0.1:9/hook"  # a closed port: deliveries fail fast and are logged

# No rate limits (whatever `rate_limit_*` settings exist): the fuzzer sends hundreds of requests from one client
# within seconds and must reach the handlers. A 429 would still be checked like any answer: it is documented.
NO_LIMITS = {name: 1_000_000 for name in setting_names() if name.startswith("rate_limit_")}
APP = create_app(
    test_settings(
        network_allowlist="127.0.0.1/32",
        login_attempts_per_ip=1_000_000,
        login_attempts_per_email=1_000_000,
        webhook_timeout_seconds=1.0,
        provider_timeout_seconds=1.0,
        **NO_LIMITS,
    )
)
OPENAPI = json.loads(encode_json(APP.openapi_schema.to_schema()))  # what /schema/openapi.json serves

schema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES_PER_OPERATION},
            "max-stream-events": SSE_MAX_EVENTS,
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
        }
    ),
)
schema.app = APP  # requests go to the application in process (schemathesis's ASGI transport)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.unsupported_method,  # an undocumented method is a 405 ...
    schemathesis.checks.allow_header_conformance,  # ... and 405s and OPTIONS list the documented methods
]


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class CheckedClient:
    """What the async helpers of tests/api.py call: each request is an operation of the document, its answer checked."""

    async def post(self, url: str, **kwargs: Any) -> Any:
        return self.call("POST", url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> Any:
        return self.call("GET", url, **kwargs)

    def call(self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        operation = schema.find_operation_by_path(method, url)
        assert operation is not None, f"{method} {url} is not in the OpenAPI document"
        names = zip(operation.path.split("/"), url.split("/"), strict=True)
        parameters = {name[1:-1]: value for name, value in names if name.startswith("{")}
        case = operation.Case(path_parameters=parameters, headers=headers, **({} if json is None else {"body": json}))
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        return response


@dataclass(slots=True)
class World:
    owner: Account
    ids: dict[str, str]  # path parameter name -> a real value


async def _build(client: CheckedClient) -> World:
    owner = await register(client, "fuzz-owner")
    workspace = await create_workspace(client, owner, "Fuzz")
    member = await register(client, "fuzz-member")
    await add_member(client, workspace, owner, member, "member")

    def made(path: str, body: dict[str, Any] | None, status: int = 201) -> dict[str, Any]:
        response = client.call("POST", f"/api/v1/workspaces/{workspace}{path}", json=body, headers=owner.headers)
        assert response.status_code == status, response.text
        return dict(response.json()["data"] or {})

    invitation = made("/invitations", {"email": "invitee@example.com", "role": "viewer"})
    record = made("/records", {"kind": "person", "inputs": {"email": "ann@acme.com", "fullName": "Ann Lee"}})
    credential = made("/credentials", {"provider": "hunter", "label": "main", "secret": "hunter-key-1234"})
    webhook = made("/webhooks", {"url": LOOPBACK_HOOK, "events": ["job.completed"]})
    delivery = made(f"/webhooks/{webhook['id']}/test", None, status=200)
    made("/enrichment/enrich", {"recordId": record["id"], "fields": ["phone"]}, status=200)
    job = made("/enrichment/jobs", {"recordIds": [record["id"]], "fields": ["email"]}, status=202)
    for _ in range(100):  # its providers refuse at once: finished, its event stream ends by itself
        url = f"/api/v1/workspaces/{workspace}/enrichment/jobs/{job['id']}"
        if client.call("GET", url, headers=owner.headers).json()["data"]["finishedAt"]:
            break
        await asyncio.sleep(0.05)
    # More than the workspace's credits can pay for: refused whole, before anything is reserved.
    too_big = [{"kind": "person", "inputs": {"email": f"p{i}@acme.com"}} for i in range(300)]
    made("/enrichment/jobs", {"records": too_big, "fields": ["email", "phone"]}, status=402)
    return World(
        owner,
        {
            "workspace_id": workspace,
            "user_id": member.id,
            "invitation_id": invitation["id"],
            "token": invitation["token"],
            "record_id": record["id"],
            "credential_id": credential["id"],
            "webhook_id": webhook["id"],
            "delivery_id": delivery["id"],
            "job_id": job["id"],
        },
    )


@pytest.fixture
def world() -> World:
    """Fresh per operation, so one operation's deletes (of the workspace, say) leave the next one whole."""
    loop = asyncio.new_event_loop()  # its own loop: the suite's (pytest-asyncio's) is left alone
    try:
        return loop.run_until_complete(_build(CheckedClient()))
    finally:
        loop.close()


def test_the_fuzzed_document_is_the_one_served() -> None:
    served = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)
    assert served.raw_schema == OPENAPI


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_answers_as_documented(case: schemathesis.Case, world: World) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name in world.ids and (name == "token" or _is_uuid(value)):
            case.path_parameters[name] = world.ids[name]
    if isinstance(case.body, dict):  # bodies name records only
        record = world.ids["record_id"]
        if _is_uuid(case.body.get("recordId")):
            case.body["recordId"] = record
        if isinstance(case.body.get("recordIds"), list):
            case.body["recordIds"] = [record if _is_uuid(v) else v for v in case.body["recordIds"]]
    case.call_and_validate(headers=world.owner.headers, checks=CHECKS)
