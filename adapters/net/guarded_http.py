"""The SSRF guard (QUALITY.md R7): every fetch of the scraper, of the browser pool and of a webhook goes through it.

Rules:
- The URL is read by `parse_target` (http/https only, no credentials, a host). The host is resolved (an IP
  literal is not; `localhost` and `*.localhost` are 127.0.0.1 and ::1 without asking, as RFC 6761 says) and the
  fetch is refused with `TargetRefused` if ANY of its addresses is refused by the policy — before any connection.
- We connect to a checked address itself: the request goes to `scheme://<ip>:<port>/path` with the real name in
  the `Host` header and, for https, as the TLS server name (SNI), against which the certificate is verified. A DNS
  answer that changes between the check and the connection (rebinding) therefore changes nothing. https requests
  say `Connection: close`: httpx pools connections by address, and a TLS connection verified for one name must
  not carry a request for another name served from the same address. When an address cannot be connected to,
  the next checked one is tried.
- Redirects (301, 302, 303, 307, 308) are followed by hand, at most `max_redirects`, each hop parsed, resolved and
  checked again (a refused hop is `TargetRefused`; one redirect too many is `FetchFailed`). A relative Location is
  read against the current URL. 303 — and 301/302 after a POST, as browsers and httpx do — continue as GET without
  a body; a hop to another origin drops Authorization and Cookie.
- One deadline covers the whole fetch, DNS and redirects included. The body is streamed and abandoned past
  `max_bytes` (`FetchFailed`; or cut there when the caller asks `truncate=True`); identity encoding is asked so the
  cap counts what is kept. Network errors and timeouts are `FetchFailed` with a short reason that quotes neither
  the body nor an exception's text.
- The caller's headers cannot set Host, User-Agent (always ours), Accept-Encoding, Connection or other hop headers.
- Through a proxy (`ProxyManager`, one httpx client per proxy URL, made on first use and closed by `aclose`), the
  target is still resolved and checked by us first. Plain http goes to the proxy as `http://<ip>:<port>/path`, so
  the proxy connects to the checked address. https is tunnelled by name (CONNECT host:port), because TLS must
  verify the real name and httpx tunnels to an address only under that address's name: the proxy then resolves
  the name itself, so a rebinding answer could reach the proxy's network (never ours); `address` reports our
  checked address. A connection error marks the proxy failed; an answer marks it healthy.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

import httpx

from adapters.browser.proxies import ProxyManager
from adapters.net.shared_client import shared_client
from domain.kernel.errors import FetchFailed, TargetRefused
from domain.kernel.network_policy import NetworkPolicy, Target, parse_target
from domain.scraping.pages import site_of

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
LOCALHOST_ADDRESSES = ("127.0.0.1", "::1")
_HOP_HEADERS = frozenset(
    {
        "host", "user-agent", "accept-encoding", "content-length", "connection", "keep-alive", "transfer-encoding",
        "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection",
    }
)  # fmt: skip
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language", "content-location", "digest"})
_DIGITS = re.compile(r"[0-9]{1,18}")


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host` (IPv4 and IPv6), in the order to try them; an `OSError` when it has none."""
        ...


class SystemResolver:
    """The system's resolver (`getaddrinfo`, off the event loop); each address once, in its order."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(slots=True, frozen=True)
class Fetched:
    """One fetch's answer. `redirects` lists the URLs that answered with a redirect, in order, so the whole chain
    is `(*redirects, url)`; `address` is the checked IP address the final answer came from."""

    url: str  # the final URL, normalized
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    address: str
    redirects: tuple[str, ...] = ()
    truncated: bool = False  # cut at the cap (only when asked with truncate=True)


@dataclass(slots=True, frozen=True)
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    address: str
    truncated: bool


class GuardedHttp:
    """Fetches under the network policy; the caller owns `client` (made with `follow_redirects=False`)."""

    def __init__(
        self,
        policy: NetworkPolicy,
        client: httpx.AsyncClient,
        resolver: Resolver | None = None,
        *,
        user_agent: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout_seconds: float = 15.0,
        max_redirects: int = 5,
        proxies: ProxyManager | None = None,
        proxy_client: Callable[[str], httpx.AsyncClient] | None = None,
    ) -> None:
        self._policy = policy
        self._client = client
        self._resolver: Resolver = resolver or SystemResolver()
        self._user_agent = user_agent
        self._max_bytes = max_bytes
        self._timeout = timeout_seconds
        self._max_redirects = max_redirects
        self._proxies = proxies
        self._make_proxy_client = proxy_client or self._default_proxy_client
        self._proxy_clients: dict[str, httpx.AsyncClient] = {}

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
        follow_redirects: bool = True,
    ) -> Fetched:
        """The answer at `url` (any status), or `TargetRefused` / `FetchFailed`; `max_bytes` overrides the cap.
        Without `follow_redirects` a redirect is answered as it is."""
        target = parse_target(url)
        outgoing = {name: value for name, value in (headers or {}).items() if name.lower() not in _HOP_HEADERS}
        cap = self._max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(target, method.upper(), outgoing, body, cap, truncate, follow_redirects)
        except TimeoutError:
            raise FetchFailed(f"{target.netloc} gave no complete answer within {self._timeout:g} s") from None

    async def aclose(self) -> None:
        """Close the proxy clients made here (the caller's client stays open)."""
        clients, self._proxy_clients = list(self._proxy_clients.values()), {}
        for client in clients:
            await client.aclose()

    async def _follow(
        self,
        target: Target,
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        cap: int,
        truncate: bool,
        follow_redirects: bool,
    ) -> Fetched:
        redirects: list[str] = []
        while True:
            try:
                addresses = await self._checked_addresses(target)
            except TargetRefused as exc:
                if not redirects:
                    raise
                raise TargetRefused(f"the redirect from {redirects[-1]} was refused: {exc.message}") from None
            reply = await self._exchange(target, addresses, method, headers, body, cap, truncate)
            redirect = follow_redirects and reply.status in REDIRECT_STATUSES
            location = reply.headers.get("location") if redirect else None
            if location is None:
                return Fetched(
                    url=target.url, status=reply.status, headers=reply.headers, body=reply.body,
                    address=reply.address, redirects=tuple(redirects), truncated=reply.truncated,
                )  # fmt: skip
            if len(redirects) >= self._max_redirects:
                raise FetchFailed(f"more than {self._max_redirects} redirects from {redirects[0]}")
            redirects.append(target.url)
            following = _next_hop(target, location)
            if (reply.status == 303 and method != "HEAD") or (reply.status in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
            if following.origin != target.origin:
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
            target = following

    async def _checked_addresses(self, target: Target) -> list[str]:
        """The addresses to connect to, all allowed; `TargetRefused` if any is not."""
        literal = target.ip
        if literal is not None:
            addresses = [str(literal)]
        elif target.host == "localhost" or target.host.endswith(".localhost"):
            addresses = list(LOCALHOST_ADDRESSES)  # RFC 6761: always loopback, whatever DNS or /etc/hosts say
        else:
            try:
                addresses = list(await self._resolver.resolve(target.host, target.port))
            except (OSError, UnicodeError):
                raise FetchFailed(f"{target.host} could not be resolved") from None
            if not addresses:
                raise FetchFailed(f"{target.host} could not be resolved")
        for address in addresses:
            why = self._policy.refusal(address)
            if why is not None:
                raise TargetRefused(why if literal is not None else f"{target.host} is refused: {why}")
        return [address.split("%", 1)[0] for address in addresses]

    async def _exchange(
        self,
        target: Target,
        addresses: list[str],
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        cap: int,
        truncate: bool,
    ) -> _Reply:
        proxy = self._proxies.pick(site_of(target.host)) if self._proxies is not None else None
        if proxy is not None:
            return await self._through(proxy, target, addresses[0], method, headers, body, cap, truncate)
        for index, address in enumerate(addresses):
            try:
                return await self._send(self._client, target, address, method, headers, body, cap, truncate)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if index == len(addresses) - 1:
                    raise _failure(target, exc, self._timeout) from None
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
                raise _failure(target, exc, self._timeout) from None
        raise AssertionError("unreachable: there is always one address")

    async def _through(
        self,
        proxy: str,
        target: Target,
        address: str,
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        cap: int,
        truncate: bool,
    ) -> _Reply:
        assert self._proxies is not None
        client = self._proxy_clients.get(proxy)
        if client is None:
            client = self._proxy_clients[proxy] = self._make_proxy_client(proxy)
        try:
            reply = await self._send(
                client, target, address, method, headers, body, cap, truncate, by_name=target.scheme == "https"
            )
        except (httpx.ProxyError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            self._proxies.failed(proxy)
            raise FetchFailed(f"the proxy could not reach {target.netloc} ({type(exc).__name__})") from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
            raise _failure(target, exc, self._timeout) from None
        self._proxies.succeeded(proxy)
        return reply

    async def _send(
        self,
        client: httpx.AsyncClient,
        target: Target,
        address: str,
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        cap: int,
        truncate: bool,
        *,
        by_name: bool = False,
    ) -> _Reply:
        """One exchange with `address` (or, tunnelled through a proxy, with the name); a redirect's body is not read."""
        sent = {
            **headers,
            "Host": target.netloc,
            "User-Agent": self._user_agent,
            # identity: a compressed answer could inflate far past the cap before a chunk is counted
            "Accept-Encoding": "identity",
        }
        extensions: dict[str, str] = {}
        if by_name:
            url = target.url
        else:
            host = f"[{address}]" if ":" in address else address
            url = f"{target.scheme}://{host}:{target.port}{target.path_and_query}"
            if target.scheme == "https":
                sent["Connection"] = "close"  # never reuse this TLS connection for another name on the address
                if target.ip is None:
                    extensions["sni_hostname"] = target.host
        request = client.build_request(
            method, url, headers=sent, content=body, extensions=extensions, timeout=self._timeout
        )
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            names = {name.lower(): value for name, value in response.headers.items()}
            if response.status_code in REDIRECT_STATUSES and "location" in names:
                return _Reply(response.status_code, names, b"", address, False)
            content, truncated = await _read(response, target, cap, truncate)
            return _Reply(response.status_code, names, content, address, truncated)
        finally:
            await response.aclose()

    def _default_proxy_client(self, proxy: str) -> httpx.AsyncClient:
        return shared_client(proxy=proxy, trust_env=False, timeout=self._timeout)


async def _read(response: httpx.Response, target: Target, cap: int, truncate: bool) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    if not truncate and _DIGITS.fullmatch(declared) and int(declared) > cap:
        raise FetchFailed(f"the answer from {target.netloc} is larger than {cap} bytes")
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk
        if len(content) > cap:
            if truncate:
                return bytes(content[:cap]), True
            raise FetchFailed(f"the answer from {target.netloc} is larger than {cap} bytes")
    return bytes(content), False


def _next_hop(current: Target, location: str) -> Target:
    try:
        return parse_target(urljoin(current.url, location.strip()))
    except TargetRefused as exc:
        raise TargetRefused(f"the redirect from {current.url} was refused: {exc.message}") from None
    except ValueError:  # urljoin on a malformed Location ("http://[::1")
        raise TargetRefused(f"the redirect from {current.url} has a malformed Location") from None


def _failure(target: Target, exc: Exception, timeout: float) -> FetchFailed:
    if isinstance(exc, httpx.TimeoutException):
        return FetchFailed(f"{target.netloc} gave no complete answer within {timeout:g} s")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return FetchFailed(f"could not connect to {target.netloc}")
    return FetchFailed(f"network error talking to {target.netloc} ({type(exc).__name__})")
