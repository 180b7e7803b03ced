"""What the fake providers share: answers for the transport triggers and the pending counter."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.response import Stream

HUGE_BYTES = 2 * 1024 * 1024  # twice the adapters' default cap
CHUNK = b" " * 65_536


def answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(payload), status_code=status, media_type="application/json", headers=headers
    )


def text(body: str, status: int) -> Response[bytes]:
    return Response(content=body.encode(), status_code=status, media_type="text/plain")


def huge(*, streamed: bool) -> Response[Any]:
    """A body over the cap: chunked with no length (the reader must stop on its own), or with Content-Length."""
    if not streamed:
        body = b'{"padding": "' + b"x" * HUGE_BYTES + b'"}'
        return Response(content=body, status_code=200, media_type="application/json")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(HUGE_BYTES // len(CHUNK) + 1):
            yield CHUNK
        yield b'"}'

    return Stream(chunks(), status_code=200, media_type="application/json")


async def transport_trouble(
    request: Request[Any, Any, Any], name: str | None, slow_seconds: float, *, streamed: bool
) -> Response[Any] | None:
    """Answers for `slow`, `broken`, `garbled` and `huge`; None for any other input."""
    if name == "slow":
        await _until_gone(request, slow_seconds)
        return answer({"detail": "finally"})
    if name == "broken":
        return text("<html><body>502 Bad Gateway</body></html>", 500)
    if name == "garbled":
        return Response(content=b'{"data": {"email": "trunc', status_code=200, media_type="application/json")
    if name == "huge":
        return huge(streamed=streamed)
    return None


async def _until_gone(request: Request[Any, Any, Any], seconds: float) -> None:
    """Wait `seconds`, or less if the client hangs up first (as one that timed out does)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while (await request.receive())["type"] != "http.disconnect":
                pass


_POLLS = re.compile(r"^pending(\d{1,3})(?:@|\.test$)", re.IGNORECASE)


class Polls:
    """`pending` inputs answer 202 for the first `pending_polls` asks of each value, then the record;
    `pending<N>` ones (`pending1@x.com`, `pending30.test`) for the first N."""

    def __init__(self, pending_polls: int) -> None:
        self._pending = pending_polls
        self._asked: Counter[str] = Counter()

    def ready(self, value: str) -> bool:
        self._asked[value] += 1
        counted = _POLLS.match(value.strip())
        return self._asked[value] > (int(counted[1]) if counted else self._pending)
