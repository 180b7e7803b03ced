"""What every HTTP answer carries, whoever produced it: the security headers and one X-Request-Id."""

from __future__ import annotations

import re
from typing import Any

SECURITY_HEADERS = {
    "strict-transport-security": re.compile(r"^max-age=\d{7,}(; includeSubDomains)?(; preload)?$"),
    "x-content-type-options": re.compile(r"^nosniff$"),
    "x-frame-options": re.compile(r"^DENY$"),
    "referrer-policy": re.compile(r"^(no-referrer|strict-origin-when-cross-origin|same-origin)$"),
    "permissions-policy": re.compile(r".+"),
}
GENERATED_ID = re.compile(r"^[A-Za-z0-9._\-]{8,128}$")


def assert_edge_headers(response: Any) -> str:
    """Assert the security headers and a single, well-formed request id (echoed in a JSON body's meta); answer
    the request id."""
    for name, pattern in SECURITY_HEADERS.items():
        assert name in response.headers, f"{name} missing on a {response.status_code}"
        assert pattern.match(response.headers[name]), f"{name}: {response.headers[name]!r}"
    assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]], "one request id"
    request_id = str(response.headers["x-request-id"])
    assert GENERATED_ID.match(request_id)
    if response.headers.get("content-type", "").startswith("application/json") and response.content:
        body = response.json()
        if isinstance(body, dict) and "meta" in body:
            assert body["meta"]["requestId"] == request_id
    return request_id
