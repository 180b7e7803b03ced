"""The shared HTTP clients keep no cookies: what one workspace's call was answered never rides on another's.

A local server answers its first request with `Set-Cookie` and notes the `Cookie` header of every request;
the provider client of the container (the one every workspace's provider calls share) and a `shared_client`,
the one the webhook sender, the SSRF guard's proxies and the scraper are made with, ask it twice. Every outbound
client of the code is made by `shared_client`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from adapters.net.shared_client import shared_client
from entrypoints.wiring.container import build_container
from tests.conftest import MIGRATIONS, test_settings

ROOT = MIGRATIONS.parents[1]
# The one client that calls only this machine: `cascade dev` polling its own processes' health.
LOCAL_ONLY = {"entrypoints/cli/dev.py"}


@pytest.fixture
def cookie_server() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Set-Cookie", "session=tenant-a-secret; Path=/")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_the_provider_client_sends_back_no_cookie_it_was_given(
    cookie_server: tuple[str, list[str | None]],
) -> None:
    url, seen = cookie_server
    container = build_container(test_settings())
    try:
        client = await container.get(httpx.AsyncClient)
        first = await client.get(f"{url}/workspace-a")
        second = await client.get(f"{url}/workspace-b")
    finally:
        await container.close()
    assert first.headers["set-cookie"].startswith("session="), "the server must set a cookie for this to mean anything"
    assert second.status_code == 200
    assert seen == [None, None]
    assert len(client.cookies) == 0


async def test_a_shared_client_keeps_nothing(cookie_server: tuple[str, list[str | None]]) -> None:
    url, seen = cookie_server
    async with shared_client() as client:
        await client.get(f"{url}/a")
        await client.get(f"{url}/b")
    async with httpx.AsyncClient() as keeps:  # what the jar prevents: httpx's default keeps and resends it
        await keeps.get(f"{url}/a")
        await keeps.get(f"{url}/b")
    assert seen == [None, None, None, "session=tenant-a-secret"]


def test_every_outbound_client_is_a_shared_client() -> None:
    made = {
        str(path.relative_to(ROOT))
        for package in ("adapters", "application", "entrypoints")
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"httpx\.AsyncClient\(", path.read_text())
    }
    assert made - LOCAL_ONLY == {"adapters/net/shared_client.py"}
