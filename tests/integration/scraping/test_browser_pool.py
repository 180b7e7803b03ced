"""The browser pool: renders through the guarded fetcher only, and replaces a browser that died."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from adapters.browser.browser_pool import BrowserPool
from adapters.net.guarded_http import Fetched
from domain.kernel.errors import FetchFailed, TargetRefused

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

PAGE = b"""<html><body><div id="app"></div>
<script>document.getElementById('app').textContent = 'written by ' + location.hostname;</script>
<img src="/logo.png"><script src="https://evil.test/x.js"></script></body></html>"""


class FakeGuard:
    """Answers as the guarded fetcher would: pages of acme.test, a refusal for anything else."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, url: str, method: str, headers: dict[str, str], body: bytes | None) -> Fetched:
        self.asked.append(url)
        if not url.startswith("https://acme.test/"):
            raise TargetRefused(f"{url} is refused")
        return Fetched(url=url, status=200, headers={"content-type": "text/html"}, body=PAGE, address="192.0.2.1",
                       redirects=())  # fmt: skip


def chromium_children() -> list[int]:
    """PIDs of the Chromium processes this test process started (through Playwright's driver)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                names[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return [pid for pid, name in names.items() if "chrom" in name and descends(pid)]


async def test_renders_javascript_through_the_guard_only_and_survives_a_crash() -> None:
    guard = FakeGuard()
    pool = BrowserPool(guard, executable_path=CHROMIUM, user_agent="CascadeBot/test", pages_per_browser=2)
    try:
        page = await pool.render("https://acme.test/home")
        assert "written by acme.test" in page.html
        assert page.rendered
        assert guard.asked[0] == "https://acme.test/home"
        assert "https://evil.test/x.js" in guard.asked, "the page's own requests go through the guard"
        assert not any(u.endswith("/logo.png") for u in guard.asked), "images are never fetched"

        victims = chromium_children()
        assert victims, "the browser runs as a child of this process"
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        # the render in flight on the dead browser may fail; the next ones get a new browser
        for _ in range(3):
            try:
                again = await pool.render("https://acme.test/again")
                break
            except FetchFailed:
                continue
        assert "written by acme.test" in again.html
        assert pool.launched == 2
    finally:
        await pool.close()
