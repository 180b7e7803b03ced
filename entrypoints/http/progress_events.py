"""Server-Sent Events that follow something running (an enrichment job, a reindex): `progress` whenever it
changes, a keep-alive comment when it does not, then `end` with its final state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar.response import ServerSentEvent, ServerSentEventMessage

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0

T = TypeVar("T")


def progress_stream(
    first: T,
    read: Callable[[], Awaitable[T]],
    *,
    out: Callable[[T], Any],
    finished: Callable[[T], bool],
    position: Callable[[T], int],
) -> ServerSentEvent:
    """`first` as read before the stream starts (so a 404 is an envelope, not a stream), then `read` every
    POLL_SECONDS; each event's data is `out` of it, its id `position` of it."""
    return ServerSentEvent(_events(first, read, out, finished, position), headers={"Cache-Control": "no-store"})


async def _events(
    first: T,
    read: Callable[[], Awaitable[T]],
    out: Callable[[T], Any],
    finished: Callable[[T], bool],
    position: Callable[[T], int],
) -> AsyncIterator[ServerSentEventMessage]:
    current = first
    sent: bytes | None = None
    quiet = 0.0
    while True:
        body = msgspec.json.encode(out(current))
        if finished(current):
            yield ServerSentEventMessage(data=body.decode(), event="end", id=position(current))
            return
        if body != sent:
            yield ServerSentEventMessage(data=body.decode(), event="progress", id=position(current))
            sent, quiet = body, 0.0
        elif quiet >= KEEPALIVE_SECONDS:
            yield ServerSentEventMessage(comment="keep-alive")
            quiet = 0.0
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        current = await read()
