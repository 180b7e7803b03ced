"""uvicorn's HTTP protocol with a deadline on request headers (slowloris).

uvicorn closes idle keep-alive connections, but a client that opens a connection and sends its
headers a byte at a time holds it, and a slot, forever. Here a request's headers must be complete
within `seconds` of the connection opening or the request beginning; past it the answer is
`408 REQUEST_TIMEOUT` in the API's envelope and the connection is closed. (A body that stops
arriving is the edge middleware's to time out: `entrypoints/http/exchange.py`.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = structlog.get_logger("cascade.http")


def _timeout_response() -> bytes:
    body = msgspec.json.encode(
        {
            "success": False,
            "data": None,
            "error": {
                "code": "REQUEST_TIMEOUT",
                "message": "the request headers did not arrive in time",
                "details": [],
            },
            "meta": {"requestId": None},
        }
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_TIMEOUT_RESPONSE = _timeout_response()


def with_header_timeout(seconds: float) -> type[HttpToolsProtocol]:
    """The protocol class for `uvicorn.Config(http=...)`."""

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            log.info("request_timeout", reason="headers", client=self.client[0] if self.client else None)
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    return HeaderTimeoutProtocol
