"""A webhook receiver on 127.0.0.1: records every request and answers what the test tells it.

    with running_receiver() as receiver:
        receiver.answer(503)           # down: every POST gets 503
        receiver.answer(200, delay=2)  # up, but slow
        receiver.answer_in_turn((500, 0, b"oops"), (200, 2, b""))  # the next two requests, then as before
        got = await receiver.wait_for(3)

It runs under uvicorn in its own thread (tests/fakes/server.py), so the app
under test reaches it over real HTTP through the SSRF guard (tests allow
127.0.0.1 with CASCADE_NETWORK_ALLOWLIST).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import serve

PATH = "/hook"


@dataclass(slots=True, frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.time() when it arrived
    query: str = ""

    @property
    def delivery(self) -> str:
        return self.headers.get("x-cascade-delivery", "")


@dataclass(slots=True)
class Receiver:
    url: str = ""
    status: int = 200
    delay: float = 0.0
    reply: bytes = b'{"ok":true}'
    received: list[Received] = field(default_factory=list)
    turns: list[tuple[int, float, bytes]] = field(default_factory=list)  # (status, delay, reply), first next
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status: int, *, delay: float = 0.0, reply: bytes = b'{"ok":true}') -> None:
        with self._lock:
            self.status, self.delay, self.reply = status, delay, reply
            self.turns.clear()

    def answer_in_turn(self, *turns: tuple[int, float, bytes]) -> None:
        """Answer the next requests with these (status, delay, reply), one each, then as `answer` last said."""
        with self._lock:
            self.turns.extend(turns)

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    async def wait_for(self, count: int, *, within: float = 15.0) -> list[Received]:
        """At least `count` requests, or AssertionError after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            got = self.snapshot()
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)} webhook requests arrived within {within} s, not {count}")
            await asyncio.sleep(0.02)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (a killed worker): a real receiver never saw this one
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        arrived = Received(scope["method"], scope["path"], headers, b"".join(chunks), time.time(), query)
        with self._lock:
            self.received.append(arrived)
            status, delay, reply = self.turns.pop(0) if self.turns else (self.status, self.delay, self.reply)
        if delay:
            await asyncio.sleep(delay)
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": reply})


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with serve(receiver, path=PATH) as url:
        receiver.url = url
        yield receiver
