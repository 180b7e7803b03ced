"""One capped, timed exchange with a provider, and the classification every adapter shares.

Answers are untrusted: the whole exchange has one deadline, the body is read
as a stream and abandoned past the cap, and nothing that fails here carries
the api key or an exception's text (which may quote URLs or headers).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import msgspec

from domain.enrichment.schema import Outcome, ProviderQuery, ProviderResult

MAX_BODY_BYTES = 1 << 20
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_WAIT_SECONDS = 86_400.0  # a provider asking for longer than a day is asking for "later"
_DETAIL_CHARS = 300
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")
_DIGITS = re.compile(r"^\d{1,18}$", re.ASCII)

T = TypeVar("T")


class CallFailed(Exception):
    """Ends a lookup early with its classified result."""

    def __init__(self, outcome: Outcome, detail: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(outcome.value)
        self.result = ProviderResult(outcome=outcome, detail=detail, retry_after_seconds=retry_after_seconds)


@dataclass(slots=True, frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes


class ProviderHttp:
    """Sends requests on a shared client (owned by the caller) under a deadline and a body cap."""

    def __init__(self, client: httpx.AsyncClient, *, timeout_seconds: float, max_body_bytes: int) -> None:
        self._client = client
        self._timeout = timeout_seconds
        self._cap = max_body_bytes

    async def send(self, method: str, url: str, *, headers: Mapping[str, str], **request: Any) -> Reply:
        try:
            async with asyncio.timeout(self._timeout):
                stream = self._client.stream(
                    method,
                    url,
                    # Identity: a compressed answer could inflate far past the cap before a chunk is counted.
                    headers={"Accept-Encoding": "identity", **headers},
                    timeout=self._timeout,
                    # Never: a redirect elsewhere would carry the key in a custom header to that host.
                    follow_redirects=False,
                    **request,
                )
                async with stream as response:
                    return Reply(response.status_code, response.headers, await self._read(response))
        except (TimeoutError, httpx.TimeoutException):
            raise CallFailed(Outcome.TRANSIENT, f"no answer within {self._timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise CallFailed(Outcome.TRANSIENT, f"network error ({type(exc).__name__})") from None

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if _DIGITS.match(declared) and int(declared) > self._cap:
            raise CallFailed(Outcome.TRANSIENT, f"answer larger than {self._cap} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._cap:
                raise CallFailed(Outcome.TRANSIENT, f"answer larger than {self._cap} bytes")
        return bytes(body)


def check_key(api_key: str) -> str:
    """A key that cannot travel in a header is refused before any request is made."""
    if not _VISIBLE_ASCII.match(api_key):
        raise CallFailed(Outcome.INVALID_CREDENTIALS, "the api key is empty or not a valid header value")
    return api_key


def decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError:  # ValidationError is a DecodeError
        raise CallFailed(Outcome.TRANSIENT, "the answer could not be decoded") from None


def retry_after(headers: httpx.Headers) -> float | None:
    """`Retry-After` in seconds or as an HTTP date; None when absent or unreadable."""
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def quoted(text: str | None) -> str:
    """A provider's own words on one printable line (`scrubbed` shortens them, once the key is out)."""
    return _UNPRINTABLE.sub(" ", text or "").strip()


def status_detail(provider: str, status: int, message: str | None = None) -> str:
    said = quoted(message)
    return f"{provider} answered {status}" + (f": {said}" if said else "")


def classified(
    provider: str, reply: Reply, known: dict[int, tuple[Outcome, str]], message: Callable[[bytes], str]
) -> CallFailed:
    """A non-200 answer: a status the provider documents means what `known` says (with any `Retry-After`);
    any other 4xx is a bad request and anything else transient, with the provider's own words."""
    if reply.status in known:
        outcome, detail = known[reply.status]
        return CallFailed(outcome, detail, retry_after_seconds=retry_after(reply.headers))
    outcome = Outcome.BAD_REQUEST if 400 <= reply.status < 500 else Outcome.TRANSIENT
    return CallFailed(outcome, status_detail(provider, reply.status, message(reply.body)))


async def guarded(call: Awaitable[ProviderResult], api_key: str) -> ProviderResult:
    """Await one lookup: a `CallFailed` becomes its result, and the key is scrubbed from the detail."""
    try:
        result = await call
    except CallFailed as failed:
        result = failed.result
    except Exception as exc:  # an answer we did not foresee must not become a 500 or leak the key
        result = ProviderResult(outcome=Outcome.TRANSIENT, detail=f"unexpected answer ({type(exc).__name__})")
    return scrubbed(result, api_key)


def scrubbed(result: ProviderResult, api_key: str) -> ProviderResult:
    """The key out of the detail, then the detail cut short: cutting first could leave part of a key."""
    detail = result.detail.replace(api_key, "[REDACTED]") if api_key else result.detail
    detail = detail[:_DETAIL_CHARS]
    return result if detail == result.detail else replace(result, detail=detail)


class HttpProvider:
    """What every HTTP provider adapter shares: the capped, timed client and the guard
    that turns any failure into a classified result without the key in it."""

    name: str

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._http = ProviderHttp(client, timeout_seconds=timeout_seconds, max_body_bytes=max_body_bytes)

    async def lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        return await guarded(self._lookup(query, api_key), api_key)

    async def _lookup(self, query: ProviderQuery, api_key: str) -> ProviderResult:
        raise NotImplementedError
