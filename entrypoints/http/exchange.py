"""One request's exchange as the outer layers see it: what was answered, or that the client left first.

A client that hangs up before it has an answer is not a server error: the access log and the
metrics record it as 499 (nginx's "client closed request"), not as the 500 that nothing sent.
A client that stops sending its body midway gets 408 after `body_timeout` seconds of silence.
"""

from __future__ import annotations

import asyncio

from litestar.exceptions import HTTPException
from litestar.types import Message, Receive, ReceiveMessage, Send

CLIENT_CLOSED_REQUEST = 499


class RequestTimeout(HTTPException):
    status_code = 408
    detail = "the request body did not arrive in time"

    def __init__(self) -> None:
        super().__init__(headers={"Connection": "close"})


class Exchange:
    __slots__ = ("_body_done", "_body_timeout", "_client_left", "_receive", "_send", "_status")

    def __init__(self, receive: Receive, send: Send, *, body_timeout: float | None = None) -> None:
        self._receive, self._send = receive, send
        self._body_timeout = body_timeout
        self._body_done = body_timeout is None
        self._status: int | None = None
        self._client_left = False

    @property
    def status(self) -> int:
        """The status answered; 499 when the client left before any answer; 500 when nothing was answered."""
        if self._client_left:
            return CLIENT_CLOSED_REQUEST
        return self._status if self._status is not None else 500

    async def receive(self) -> ReceiveMessage:
        if self._body_done:
            message = await self._receive()
        else:
            try:
                async with asyncio.timeout(self._body_timeout):
                    message = await self._receive()
            except TimeoutError:
                raise RequestTimeout() from None
            self._body_done = message["type"] != "http.request" or not message.get("more_body", False)
        if message["type"] == "http.disconnect" and self._status is None:
            self._client_left = True
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self._status is None:
            self._status = message["status"]
        await self._send(message)
