"""The scraper's network layer against real sockets on 127.0.0.x: the SSRF guard (R7), robots.txt, politeness
and proxies. Nothing leaves the machine: names are resolved by a stub resolver (or the system's, for
`localhost`), and https is checked on a mock transport.

The test servers are tiny HTTP/1.1 servers in this event loop, so each test starts its own and can see exactly
which requests reached it — "refused before any connection" means the server saw nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.browser.politeness import Politeness
from adapters.browser.proxies import ProxyManager
from adapters.browser.robots import ProtegoRobots
from adapters.net.guarded_http import Fetched, GuardedHttp, SystemResolver
from domain.kernel.errors import FetchFailed, TargetRefused
from domain.kernel.network_policy import NetworkPolicy, parse_allowlist
from tests.support.clock import ManualClock

UA = "CascadeTest/1.0 (+https://example.invalid/bot)"
LOOPBACK = NetworkPolicy(parse_allowlist("127.0.0.1/32"))


# --- a tiny HTTP/1.1 server in this event loop -------------------------------------------------------------------


@dataclass(slots=True)
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


@dataclass(slots=True)
class Server:
    host: str
    port: int
    seen: list[Seen] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


async def respond(
    writer: asyncio.StreamWriter, status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


@asynccontextmanager
async def serving(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[Server]:
    tasks: set[asyncio.Task[None]] = set()
    server = Server(host=host, port=0)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            while line := await reader.readline():
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Seen(method, target, headers, body)
                server.seen.append(request)
                await handler(request, writer)
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass  # the client went away, or the test is over (cancelled: end quietly)
        finally:
            tasks.discard(task)
            writer.close()

    listener = await asyncio.start_server(connection, host, 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.wait_closed()


async def hello(request: Seen, writer: asyncio.StreamWriter) -> None:
    await respond(writer, 200, b"hello " + request.path.encode(), {"Content-Type": "text/plain", "X-Seen": "yes"})


class StubResolver:
    """Names to addresses from a table; anything else does not resolve."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"{host} does not resolve")
        return self.table[host]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        yield client


def guard(
    client: httpx.AsyncClient, policy: NetworkPolicy = LOOPBACK, resolver: object = None, **options: object
) -> GuardedHttp:
    return GuardedHttp(policy, client, resolver or StubResolver({}), user_agent=UA, **options)  # type: ignore[arg-type]


# --- the guard ---------------------------------------------------------------------------------------------------


async def test_loopback_is_refused_without_the_allowlist(client: httpx.AsyncClient) -> None:
    async with serving(hello) as server:
        with pytest.raises(TargetRefused, match="loopback"):
            await guard(client, NetworkPolicy()).fetch(server.base + "/")
        assert server.seen == []


async def test_loopback_is_fetched_when_allowlisted(client: httpx.AsyncClient) -> None:
    async with serving(hello) as server:
        fetched = await guard(client).fetch(server.base + "/page?x=1")
    assert isinstance(fetched, Fetched)
    assert (fetched.status, fetched.body) == (200, b"hello /page")
    assert fetched.url == server.base + "/page?x=1"
    assert fetched.address == "127.0.0.1"
    assert fetched.redirects == ()
    assert fetched.headers["x-seen"] == "yes"
    assert server.seen[0].target == "/page?x=1"
    assert server.seen[0].headers["user-agent"] == UA


async def test_the_allowlist_is_exact(client: httpx.AsyncClient) -> None:
    only_other = NetworkPolicy(parse_allowlist("127.0.0.2/32"))
    async with serving(hello) as server:
        with pytest.raises(TargetRefused):
            await guard(client, only_other).fetch(server.base + "/")
        assert server.seen == []


@pytest.mark.parametrize(
    ("addresses", "said"),
    [
        (["10.0.0.5"], "RFC 1918"),
        (["169.254.169.254"], "cloud metadata"),
        (["::ffff:127.0.0.1"], "IPv4-mapped"),
        (["127.0.0.1", "10.0.0.5"], "10.0.0.5"),  # one bad address is enough
        (["127.0.0.1", "fd00::1"], "unique-local"),
    ],
)
async def test_a_name_resolving_to_a_refused_address_is_refused_before_connecting(
    client: httpx.AsyncClient, addresses: list[str], said: str
) -> None:
    resolver = StubResolver({"evil.test": addresses})
    async with serving(hello) as server:
        with pytest.raises(TargetRefused, match=said) as raised:
            await guard(client, resolver=resolver).fetch(f"http://evil.test:{server.port}/")
        assert server.seen == []
    assert "evil.test" in raised.value.message
    assert resolver.asked == ["evil.test"]


async def test_a_name_is_fetched_at_its_checked_address_with_its_host_header(client: httpx.AsyncClient) -> None:
    resolver = StubResolver({"site.test": ["127.0.0.1"]})
    async with serving(hello) as server:
        fetched = await guard(client, resolver=resolver).fetch(
            f"http://SITE.test:{server.port}/hello", headers={"Host": "evil.test", "User-Agent": "x", "X-Extra": "1"}
        )
    assert fetched.url == f"http://site.test:{server.port}/hello"
    assert fetched.address == "127.0.0.1"
    seen = server.seen[0]
    assert seen.headers["host"] == f"site.test:{server.port}"
    assert seen.headers["user-agent"] == UA
    assert seen.headers["x-extra"] == "1"
    assert seen.headers["accept-encoding"] == "identity"


async def test_the_next_checked_address_is_tried_when_one_does_not_connect(client: httpx.AsyncClient) -> None:
    policy = NetworkPolicy(parse_allowlist("127.0.0.0/8"))
    async with serving(hello) as server:
        resolver = StubResolver({"site.test": ["127.0.0.3", "127.0.0.1"]})  # nothing listens on 127.0.0.3
        fetched = await guard(client, policy, resolver).fetch(f"http://site.test:{server.port}/")
    assert fetched.address == "127.0.0.1"


async def test_a_name_that_does_not_resolve_is_a_fetch_failure(client: httpx.AsyncClient) -> None:
    with pytest.raises(FetchFailed, match="could not be resolved"):
        await guard(client).fetch("http://nowhere.test/")


async def test_a_closed_port_is_a_fetch_failure(client: httpx.AsyncClient) -> None:
    async with serving(hello) as server:
        port = server.port
    with pytest.raises(FetchFailed, match="could not connect"):
        await guard(client).fetch(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "http://user:pw@127.0.0.1/", "gopher://x"])
async def test_bad_urls_are_refused(client: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(TargetRefused):
        await guard(client).fetch(url)


def redirecting(routes: dict[str, tuple[int, str]]) -> Handler:
    async def handler(request: Seen, writer: asyncio.StreamWriter) -> None:
        if request.path in routes:
            status, location = routes[request.path]
            await respond(writer, status, b"moved", {"Location": location})
        else:
            await respond(writer, 200, f"{request.method} {request.path} {request.body.decode()}".encode())

    return handler


async def test_a_redirect_to_the_metadata_address_is_refused_at_the_hop(client: httpx.AsyncClient) -> None:
    async with serving(redirecting({"/": (302, "http://169.254.169.254/latest/meta-data/")})) as server:
        with pytest.raises(TargetRefused, match="cloud metadata") as raised:
            await guard(client).fetch(server.base + "/")
        assert server.paths() == ["/"]
    assert "redirect" in raised.value.message


async def test_a_redirect_to_localhost_is_refused_at_the_hop(client: httpx.AsyncClient) -> None:
    # 127.0.0.1 is allowlisted, but localhost is also ::1 (RFC 6761), which is not
    async with (
        serving(hello) as local,
        serving(redirecting({"/": (301, f"http://localhost:{local.port}/")})) as site,
    ):
        with pytest.raises(TargetRefused, match="loopback") as raised:
            await GuardedHttp(LOOPBACK, client, SystemResolver(), user_agent=UA).fetch(site.base + "/")
        assert site.paths() == ["/"]
        assert local.seen == []
    assert "localhost" in raised.value.message
    assert "redirect" in raised.value.message


class ThroughSystem:
    """Resolves `alias.test` as the system resolves `localhost` (a name only the system knows here)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        return await SystemResolver().resolve("localhost" if host == "alias.test" else host, port)


async def test_a_redirect_to_a_name_the_system_resolves_to_loopback_is_refused(client: httpx.AsyncClient) -> None:
    # The page is on 127.0.0.2, the only allowlisted address; the system resolves localhost to 127.0.0.1 at least.
    assert "127.0.0.1" in await SystemResolver().resolve("localhost", 80)
    policy = NetworkPolicy(parse_allowlist("127.0.0.2/32"))
    async with serving(hello) as local:
        async with serving(redirecting({"/": (302, f"http://alias.test:{local.port}/")}), host="127.0.0.2") as site:
            with pytest.raises(TargetRefused, match="loopback"):
                await GuardedHttp(policy, client, ThroughSystem(), user_agent=UA).fetch(site.base + "/")
            assert site.paths() == ["/"]
        assert local.seen == []


async def test_localhost_names_are_loopback_without_asking_dns(client: httpx.AsyncClient) -> None:
    resolver = StubResolver({"app.localhost": ["93.184.216.34"]})
    with pytest.raises(TargetRefused, match="::1"):
        await guard(client, resolver=resolver).fetch("http://app.localhost/")
    assert resolver.asked == []
    both = NetworkPolicy(parse_allowlist("127.0.0.1/32, ::1/128"))
    async with serving(hello) as server:
        fetched = await guard(client, both, resolver).fetch(f"http://localhost:{server.port}/x")
    assert fetched.body == b"hello /x"


async def test_redirects_are_followed_with_their_hops(client: httpx.AsyncClient) -> None:
    async with serving(hello) as other:
        routes = {"/start": (301, "/middle?a=1"), "/middle": (302, f"{other.base}/end")}
        async with serving(redirecting(routes)) as server:
            fetched = await guard(client).fetch(server.base + "/start")
    assert fetched.status == 200
    assert fetched.url == f"{other.base}/end"
    assert fetched.redirects == (f"{server.base}/start", f"{server.base}/middle?a=1")
    assert fetched.body == b"hello /end"


async def test_a_303_continues_as_get_and_a_307_keeps_the_post(client: httpx.AsyncClient) -> None:
    routes = {"/see-other": (303, "/landed"), "/temporary": (307, "/landed")}
    async with serving(redirecting(routes)) as server:
        http = guard(client)
        after_303 = await http.fetch(server.base + "/see-other", method="POST", body=b"data",
                                     headers={"Content-Type": "text/plain"})  # fmt: skip
        after_307 = await http.fetch(server.base + "/temporary", method="POST", body=b"data")
    assert after_303.body == b"GET /landed "
    assert after_307.body == b"POST /landed data"
    landed_after_303 = server.seen[1]
    assert "content-type" not in landed_after_303.headers


async def test_credentials_are_not_carried_to_another_origin(client: httpx.AsyncClient) -> None:
    async with serving(hello) as other:
        routes = {"/away": (302, f"{other.base}/x"), "/here": (302, "/y")}
        async with serving(redirecting(routes)) as server:
            secrets = {"Authorization": "Bearer s3cret", "Cookie": "a=b"}
            await guard(client).fetch(server.base + "/away", headers=secrets)
            await guard(client).fetch(server.base + "/here", headers=secrets)
    assert "authorization" not in other.seen[0].headers
    assert "cookie" not in other.seen[0].headers
    assert server.seen[-1].headers["authorization"] == "Bearer s3cret"  # same origin: kept


async def test_more_than_five_redirects_fail(client: httpx.AsyncClient) -> None:
    routes = {f"/r{i}": (302, f"/r{i + 1}") for i in range(10)}
    async with serving(redirecting(routes)) as server:
        with pytest.raises(FetchFailed, match="more than 5 redirects"):
            await guard(client).fetch(server.base + "/r0")
        assert len(server.seen) == 6  # the first request and five redirects followed
        five = {f"/r{i}": (302, f"/r{i + 1}") for i in range(5)}
    async with serving(redirecting(five)) as server:
        fetched = await guard(client).fetch(server.base + "/r0")
    assert fetched.url.endswith("/r5")
    assert len(fetched.redirects) == 5


async def big(request: Seen, writer: asyncio.StreamWriter) -> None:
    if request.path == "/declared":
        await respond(writer, 200, b"x" * 5000)
        return
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(10):
        writer.write(b"1f4\r\n" + b"y" * 500 + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


@pytest.mark.parametrize("path", ["/declared", "/chunked"])
async def test_an_answer_over_the_cap_fails(client: httpx.AsyncClient, path: str) -> None:
    async with serving(big) as server:
        with pytest.raises(FetchFailed, match="larger than 1000 bytes"):
            await guard(client, max_bytes=1000).fetch(server.base + path)
        cut = await guard(client, max_bytes=1000).fetch(server.base + path, truncate=True)
    assert len(cut.body) == 1000
    assert cut.truncated


async def trickle(request: Seen, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(200):  # a byte every 50 ms: no single read ever times out
        writer.write(b"1\r\nz\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
    writer.write(b"0\r\n\r\n")


async def test_one_deadline_covers_the_whole_fetch(client: httpx.AsyncClient) -> None:
    async with serving(trickle) as server:
        started = time.monotonic()
        with pytest.raises(FetchFailed, match=r"within 0\.5 s"):
            await guard(client, timeout_seconds=0.5).fetch(server.base + "/slow")
    assert time.monotonic() - started < 2.0


async def test_https_goes_to_the_checked_address_under_the_real_name() -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=b"secure")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), follow_redirects=False) as mock:
        resolver = StubResolver({"acme.example": ["93.184.216.34"]})
        fetched = await guard(mock, NetworkPolicy(), resolver).fetch("https://acme.example/about")
    assert fetched.body == b"secure"
    assert fetched.url == "https://acme.example/about"
    sent = requests[0]
    assert sent.url.host == "93.184.216.34"
    assert sent.url.scheme == "https"
    assert sent.headers["host"] == "acme.example"
    assert sent.extensions["sni_hostname"] == "acme.example"  # TLS verifies the real name
    assert sent.headers["connection"] == "close"  # no reuse of a connection verified for another name


# --- robots.txt --------------------------------------------------------------------------------------------------


def robots_site(status: int, text: str = "") -> Handler:
    async def handler(request: Seen, writer: asyncio.StreamWriter) -> None:
        if request.path == "/robots.txt":
            await asyncio.sleep(0.02)  # long enough for concurrent callers to meet
            await respond(writer, status, text.encode())
        else:
            await respond(writer, 200, b"page")

    return handler


RULES = "User-agent: *\nDisallow: /private\nAllow: /\n"


async def test_robots_rules_are_obeyed(client: httpx.AsyncClient) -> None:
    async with serving(robots_site(200, RULES)) as server:
        robots = ProtegoRobots(guard(client), UA)
        assert await robots.allowed(server.base + "/private/secret.html") is False
        assert await robots.allowed(server.base + "/about") is True
        assert await robots.allowed(server.base + "/") is True


async def test_robots_rules_for_our_user_agent_win(client: httpx.AsyncClient) -> None:
    text = "User-agent: CascadeTest\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    async with serving(robots_site(200, text)) as server:
        assert await ProtegoRobots(guard(client), UA).allowed(server.base + "/about") is False
        assert await ProtegoRobots(guard(client), "OtherBot/2.0").allowed(server.base + "/about") is True


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (410, True), (500, False), (503, False),
                                                 (429, False)])  # fmt: skip
async def test_robots_status_decides(client: httpx.AsyncClient, status: int, allowed: bool) -> None:
    async with serving(robots_site(status, RULES)) as server:
        assert await ProtegoRobots(guard(client), UA).allowed(server.base + "/private/x") is allowed


async def test_robots_unreachable_means_nothing_allowed(client: httpx.AsyncClient) -> None:
    async with serving(hello) as server:
        port = server.port
    assert await ProtegoRobots(guard(client), UA).allowed(f"http://127.0.0.1:{port}/") is False


async def test_robots_is_fetched_once_for_many_callers(client: httpx.AsyncClient) -> None:
    async with serving(robots_site(200, RULES)) as server:
        robots = ProtegoRobots(guard(client), UA)
        urls = [f"{server.base}/{'private' if i % 2 else 'public'}/{i}" for i in range(20)]
        answers = await asyncio.gather(*(robots.allowed(url) for url in urls))
        answers += [await robots.allowed(url) for url in urls]
        assert server.paths().count("/robots.txt") == 1
    assert answers == [i % 2 == 0 for i in range(20)] * 2
    assert robots.fetches == 1


async def test_robots_is_fetched_again_after_its_ttl(client: httpx.AsyncClient) -> None:
    clock = ManualClock()
    async with serving(robots_site(200, RULES)) as server:
        robots = ProtegoRobots(guard(client), UA, ttl_seconds=60, clock=clock)
        await robots.allowed(server.base + "/")
        clock.advance(59)
        await robots.allowed(server.base + "/")
        assert server.paths().count("/robots.txt") == 1
        clock.advance(2)
        await robots.allowed(server.base + "/")
        assert server.paths().count("/robots.txt") == 2


async def test_a_failed_robots_is_retried_sooner_than_the_ttl(client: httpx.AsyncClient) -> None:
    clock = ManualClock()
    async with serving(robots_site(500)) as server:
        robots = ProtegoRobots(guard(client), UA, ttl_seconds=3600, retry_seconds=300, clock=clock)
        assert await robots.allowed(server.base + "/") is False
        clock.advance(299)
        assert await robots.allowed(server.base + "/") is False
        assert server.paths().count("/robots.txt") == 1
        clock.advance(2)
        await robots.allowed(server.base + "/")
        assert server.paths().count("/robots.txt") == 2


async def test_only_the_first_500_kib_of_robots_are_read(client: httpx.AsyncClient) -> None:
    text = RULES + "#" * (600 * 1024) + "\nDisallow: /late\n"
    async with serving(robots_site(200, text)) as server:
        robots = ProtegoRobots(guard(client), UA)
        assert await robots.allowed(server.base + "/private") is False
        assert await robots.allowed(server.base + "/late") is True  # past the cut


async def test_robots_of_a_refused_origin_is_a_refusal(client: httpx.AsyncClient) -> None:
    resolver = StubResolver({"evil.test": ["10.0.0.5"]})
    with pytest.raises(TargetRefused, match="RFC 1918"):
        await ProtegoRobots(guard(client, resolver=resolver), UA).allowed("http://evil.test/")


# --- politeness --------------------------------------------------------------------------------------------------


async def test_politeness_caps_concurrency_per_host_and_hosts_are_independent() -> None:
    politeness = Politeness(per_domain=2, delay_seconds=0)
    running: dict[str, int] = {"a.test": 0, "b.test": 0}
    peak: dict[str, int] = {"a.test": 0, "b.test": 0}
    overall = [0, 0]

    async def fetch(name: str) -> None:
        host = name.lower()
        async with politeness.slot(name):
            running[host] += 1
            overall[0] += 1
            peak[host] = max(peak[host], running[host])
            overall[1] = max(overall[1], overall[0])
            await asyncio.sleep(0.03)
            running[host] -= 1
            overall[0] -= 1

    await asyncio.gather(*(fetch(host) for host in ["a.test", "b.test", "A.TEST"] * 4))
    assert peak == {"a.test": 2, "b.test": 2}
    assert overall[1] == 4
    assert politeness.tracked_hosts == 0  # idle hosts are dropped


async def test_politeness_spaces_the_starts_on_one_host() -> None:
    fake = ManualClock(seconds=100.0)
    politeness = Politeness(per_domain=5, delay_seconds=0.5, clock=fake, sleep=fake.sleep)
    starts: dict[str, list[float]] = {"a.test": [], "b.test": []}

    async def fetch(host: str) -> None:
        async with politeness.slot(host):
            starts[host].append(fake())

    await asyncio.gather(*(fetch("a.test") for _ in range(4)), fetch("b.test"))
    assert starts["a.test"] == [100.0, 100.5, 101.0, 101.5]
    assert fake.slept == [0.5, 0.5, 0.5]  # only a.test's later fetches waited: b.test did not wait for its turn
    assert len(starts["b.test"]) == 1
    fake.advance(10)
    await fetch("a.test")  # long after: no wait
    assert starts["a.test"][-1] == fake()


async def test_politeness_with_real_time_keeps_the_delay() -> None:
    politeness = Politeness(per_domain=2, delay_seconds=0.05)
    starts: list[float] = []

    async def fetch() -> None:
        async with politeness.slot("acme.test"):
            starts.append(time.monotonic())

    await asyncio.gather(*(fetch() for _ in range(4)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.045 for gap in gaps), gaps


async def test_politeness_forgets_idle_hosts() -> None:
    fake = ManualClock()
    politeness = Politeness(per_domain=1, delay_seconds=0.5, clock=fake, sleep=fake.sleep)
    most = 0
    for i in range(1000):
        async with politeness.slot(f"host{i}.test"):
            pass
        fake.advance(1)
        most = max(most, politeness.tracked_hosts)
    assert most <= 64


# --- proxies -----------------------------------------------------------------------------------------------------


P1, P2, P3 = "http://p1.test:8080", "http://user:pw@p2.test:8080", "http://p3.test:8080"


def test_proxies_rotate() -> None:
    proxies = ProxyManager([P1, P2, P3])
    assert [proxies.pick("acme.com") for _ in range(5)] == [P1, P2, P3, P1, P2]
    assert ProxyManager([]).pick("acme.com") is None


def test_a_failed_proxy_cools_down() -> None:
    clock = ManualClock(seconds=0.0)
    proxies = ProxyManager([P1, P2, P3], cooldown_seconds=60, clock=clock)
    proxies.failed(P2)
    assert [proxies.pick("acme.com") for _ in range(4)] == [P1, P3, P1, P3]
    clock.advance(59)
    assert P2 not in {proxies.pick("acme.com") for _ in range(3)}
    clock.advance(1)  # 60 s after the failure
    assert P2 in {proxies.pick("acme.com") for _ in range(3)}
    proxies.failed(P3)
    proxies.succeeded(P3)  # healthy again at once
    assert proxies.healthy() == [P1, P2, P3]


def test_sticky_keeps_a_domain_on_its_proxy_while_healthy() -> None:
    clock = ManualClock(seconds=0.0)
    proxies = ProxyManager([P1, P2, P3], sticky=True, clock=clock)
    first = proxies.pick("acme.com")
    other = proxies.pick("globex.com")
    assert first != other
    assert [proxies.pick("ACME.com") for _ in range(3)] == [first] * 3
    assert first is not None
    proxies.failed(first)
    moved = proxies.pick("acme.com")
    assert moved not in (first, None)
    assert proxies.pick("acme.com") == moved
    assert proxies.pick("globex.com") == other


def test_when_all_proxies_cool_down_the_first_back_is_used() -> None:
    clock = ManualClock(seconds=0.0)
    proxies = ProxyManager([P1, P2, P3], cooldown_seconds=60, clock=clock)
    proxies.failed(P1)
    clock.advance(5)  # at 5 s
    proxies.failed(P3)
    clock.advance(5)  # at 10 s
    proxies.failed(P2)
    assert proxies.healthy() == []
    assert proxies.pick("acme.com") == P1  # its cool-down ends first (at 60)
    clock.advance(51)  # at 61 s
    assert proxies.pick("acme.com") == P1  # healthy again: the only one


def test_a_bad_proxy_url_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError, match="proxy #2") as raised:
        ProxyManager([P1, "ftp://user:secret@host"])
    assert "secret" not in str(raised.value)


async def forward_proxy(request: Seen, writer: asyncio.StreamWriter) -> None:
    if request.method == "CONNECT":
        await respond(writer, 403, b"no tunnels here")
    else:
        await respond(writer, 200, b"via proxy " + request.target.encode())


async def test_fetches_go_through_the_proxy_to_the_checked_address(client: httpx.AsyncClient) -> None:
    resolver = StubResolver({"acme.example": ["93.184.216.34"], "evil.example": ["10.0.0.5"]})
    async with serving(forward_proxy) as proxy:
        manager = ProxyManager([proxy.base])
        http = guard(client, NetworkPolicy(), resolver, proxies=manager)
        try:
            fetched = await http.fetch("http://acme.example/page?q=1")
            with pytest.raises(TargetRefused):
                await http.fetch("http://evil.example/")  # still checked by us first
        finally:
            await http.aclose()
    assert fetched.body == b"via proxy http://93.184.216.34/page?q=1"  # the address, not the name
    assert fetched.address == "93.184.216.34"
    assert len(proxy.seen) == 1
    assert proxy.seen[0].headers["host"] == "acme.example"
    assert manager.healthy() == [proxy.base]


async def test_a_dead_proxy_is_marked_failed(client: httpx.AsyncClient) -> None:
    async with serving(forward_proxy) as gone:
        dead = gone.base
    manager = ProxyManager([dead], cooldown_seconds=60)
    http = guard(client, NetworkPolicy(), StubResolver({"acme.example": ["93.184.216.34"]}), proxies=manager)
    try:
        with pytest.raises(FetchFailed, match="proxy"):
            await http.fetch("http://acme.example/")
    finally:
        await http.aclose()
    assert manager.healthy() == []


async def test_https_through_a_proxy_is_tunnelled_by_name_after_our_check(client: httpx.AsyncClient) -> None:
    resolver = StubResolver({"acme.example": ["93.184.216.34"]})
    async with serving(forward_proxy) as proxy:
        manager = ProxyManager([proxy.base])
        http = guard(client, NetworkPolicy(), resolver, proxies=manager)
        try:
            with pytest.raises(FetchFailed, match="proxy"):
                await http.fetch("https://acme.example/")
        finally:
            await http.aclose()
    assert resolver.asked == ["acme.example"]  # checked by us before the proxy was asked
    assert (proxy.seen[0].method, proxy.seen[0].target) == ("CONNECT", "acme.example:443")
    assert manager.healthy() == []  # the tunnel was refused: the proxy cools down
