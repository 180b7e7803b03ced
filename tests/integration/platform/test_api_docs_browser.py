"""The interactive API docs work without internet (issue 12, item 11).

In Debian's Chromium, against the real app (memory profile) under uvicorn on 127.0.0.1: /schema/swagger and
/schema render every operation of the document, every request they make goes to the server, and their
Content-Security-Policy blocks nothing they need; "Try it out" runs an operation. Without a browser: the page's
and the assets' headers (CSP, caching, compression), the rate limiter leaving the docs alone, and the vendored
Swagger UI being the files and the version that VENDORED.md records.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from entrypoints.http.api_docs import ASSET_CACHE, ASSETS, PAGE_CSP, SWAGGER_UI_VERSION
from entrypoints.http.app import create_app
from tests.conftest import test_settings
from tests.fakes.server import serve
from tests.support.edge import assert_edge_headers

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    # a page that asks another host is still seen asking (the request is recorded), but nothing leaves the machine
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]  # fmt: skip
PAGES = ["/schema/swagger", "/schema"]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
RENDER_SECONDS = 30
# What the page's scripts and the browser report: CSP violations, uncaught errors, console errors.
WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__problems.push(`CSP ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`));
"""
RENDERED = """() => [...document.querySelectorAll('.opblock')].map((block) => [
  block.querySelector('.opblock-summary-method')?.textContent,
  block.querySelector('.opblock-summary-path')?.dataset.path,
])"""


@dataclass(slots=True)
class Visit:
    page: Page
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    async def all_problems(self) -> list[str]:
        return [*self.problems, *await self.page.evaluate("window.__problems")]


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def off_machine(requests: list[str], base: str) -> list[str]:
    """Every request that is not to the server under test (data: URLs ask no one)."""
    server = urlsplit(base).netloc
    return [url for url in requests if not url.startswith("data:") and urlsplit(url).netloc != server]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with serve(create_app(test_settings())) as base:
        yield base


@pytest.fixture(scope="module")
def spec(served: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{served}/schema/openapi.json", timeout=10).json()
    return document


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def visiting(browser: Browser, url: str) -> AsyncIterator[Visit]:
    context = await browser.new_context()
    try:
        await context.add_init_script(WATCH)
        page = await context.new_page()
        visit = Visit(page)
        context.on("request", lambda request: visit.requests.append(request.url))
        context.on("requestfailed", lambda request: visit.failed.append(f"{request.url}: {request.failure}"))
        page.on("pageerror", lambda error: visit.problems.append(f"uncaught {error}"))
        page.on("console", lambda m: visit.problems.append(f"console: {m.text}") if m.type == "error" else None)
        await page.goto(url, wait_until="load")
        yield visit
    finally:
        await context.close()


async def wait_for_operations(page: Page, count: int) -> set[tuple[str, str]]:
    """The (METHOD, path) of every operation block, once at least `count` are shown (or the wait ran out)."""
    with contextlib.suppress(PlaywrightTimeout):  # the caller's comparison says what is missing
        await page.wait_for_function(
            "n => document.querySelectorAll('.opblock').length >= n", arg=count, timeout=RENDER_SECONDS * 1000
        )
    return {(str(method).upper(), str(path)) for method, path in await page.evaluate(RENDERED)}


@needs_chromium
@pytest.mark.parametrize("path", PAGES)
async def test_the_docs_render_every_operation_asking_only_the_server(
    browser: Browser, served: str, spec: dict[str, Any], path: str
) -> None:
    operations = documented(spec)
    assert ("POST", "/api/v1/auth/register") in operations
    async with visiting(browser, served + path) as visit:
        rendered = await wait_for_operations(visit.page, len(operations))
        register = visit.page.locator(".opblock-post .opblock-summary-path[data-path='/api/v1/auth/register']")
        registers = await register.count()
        shown_version = await visit.page.evaluate("window.versions?.swaggerUI?.version")
        problems = await visit.all_problems()

    assert off_machine(visit.requests, served) == [], "the docs asked another host"
    assert visit.failed == []
    assert rendered == operations, f"missing {operations - rendered}, unexpected {rendered - operations}"
    assert registers >= 1, "no POST /api/v1/auth/register block"
    assert shown_version == SWAGGER_UI_VERSION
    assert problems == []
    assert f"{served}/schema/openapi.json" in visit.requests


@needs_chromium
async def test_try_it_out_runs_an_operation_under_the_csp(browser: Browser, served: str) -> None:
    async with visiting(browser, f"{served}/schema/swagger") as visit:
        health = visit.page.locator(".opblock-get").filter(
            has=visit.page.locator(".opblock-summary-path[data-path='/api/v1/health']")
        )
        await health.locator(".opblock-summary").click(timeout=RENDER_SECONDS * 1000)
        await health.locator("button.try-out__btn").click()
        await health.locator("button.execute").click()
        answer = health.locator(".live-responses-table tr.response")
        await answer.wait_for(timeout=RENDER_SECONDS * 1000)
        answered = (await answer.locator(".response-col_status").inner_text()).strip()
        body = await answer.locator(".response-col_description pre").first.inner_text()
        problems = await visit.all_problems()

    assert answered == "200"
    assert '"success": true' in body
    assert f"{served}/api/v1/health" in visit.requests
    assert off_machine(visit.requests, served) == []
    assert problems == []


# --- without a browser ----------------------------------------------------------------------------------------

ASSET_URL = re.compile(r'(?:href|src)="(/schema/assets/[0-9a-f]{16}/[\w.-]+)"')


@pytest.fixture
async def docs_client() -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(test_settings())) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
async def test_the_page_names_no_host_and_carries_a_strict_csp(docs_client: Any, path: str) -> None:
    page = await docs_client.get(path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_edge_headers(page)
    assert page.headers["content-security-policy"] == PAGE_CSP
    assert page.headers["cache-control"] == "no-cache"
    assert "://" not in page.text, "an absolute URL in the page"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script"
    assert "<style" not in page.text
    assert " style=" not in page.text
    assert 'data-openapi-url="/schema/openapi.json"' in page.text
    assert len(ASSET_URL.findall(page.text)) == 5


async def test_assets_are_cached_as_immutable_and_compressed(docs_client: Any) -> None:
    urls = ASSET_URL.findall((await docs_client.get("/schema/swagger")).text)
    [bundle] = [url for url in urls if url.endswith("/swagger-ui-bundle.js")]
    on_disk = (ASSETS / "swagger-ui" / "swagger-ui-bundle.js").read_bytes()

    for url in urls:
        answer = await docs_client.get(url)
        assert answer.status_code == 200, url
        assert_edge_headers(answer)
        assert answer.headers["cache-control"] == ASSET_CACHE
        assert answer.headers["etag"] == f'"{url.split("/")[3]}"'
        expected_type = {"js": "text/javascript", "css": "text/css", "png": "image/png"}[url.rsplit(".", 1)[1]]
        assert answer.headers["content-type"].startswith(expected_type), url
        assert "content-security-policy" not in answer.headers

    plain = await docs_client.get(bundle, headers={"accept-encoding": "identity"})
    zipped = await docs_client.get(bundle, headers={"accept-encoding": "br, gzip;q=0.8"})
    refused = await docs_client.get(bundle, headers={"accept-encoding": "gzip;q=0"})
    assert (plain.content, "content-encoding" in plain.headers) == (on_disk, False)
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(on_disk) / 2
    assert zipped.content == on_disk  # httpx undid the gzip
    assert "content-encoding" not in refused.headers

    revalidated = await docs_client.get(bundle, headers={"if-none-match": plain.headers["etag"]})
    assert (revalidated.status_code, revalidated.content) == (304, b"")
    stale = await docs_client.get(bundle.replace(bundle.split("/")[3], "0" * 16))
    unknown = await docs_client.get(bundle.replace("swagger-ui-bundle.js", "VENDORED.md"))
    assert (stale.status_code, unknown.status_code) == (404, 404)


async def test_the_document_is_served_as_before(docs_client: Any) -> None:
    answer = await docs_client.get("/schema/openapi.json")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    assert "content-security-policy" not in answer.headers
    assert answer.json()["info"]["title"] == "Cascade API"


async def test_the_docs_are_never_rate_limited() -> None:
    groups = ("auth", "reads", "writes", "jobs", "workspace_reads", "workspace_writes", "workspace_jobs")
    tight = test_settings(**{f"rate_limit_{group}_per_minute": 1 for group in groups})
    async with AsyncTestClient(app=create_app(tight)) as client:
        page = await client.get("/schema")
        paths = ["/schema", "/schema/swagger", "/schema/openapi.json", *ASSET_URL.findall(page.text)]
        answers = [await client.get(path) for path in paths for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * len(answers)
    assert [str(a.url) for a in answers if "ratelimit-limit" in a.headers] == []


def test_the_vendored_swagger_ui_is_what_vendored_md_records() -> None:
    folder = ASSETS / "swagger-ui"
    record = (folder / "VENDORED.md").read_text()
    sums = dict(reversed(line.split("  ")) for line in re.findall(r"^[0-9a-f]{64}  \S+$", record, re.M))

    assert f"`swagger-ui-dist` {SWAGGER_UI_VERSION}" in record
    assert set(sums) == {p.name for p in folder.iterdir()} - {"VENDORED.md"}, "a file not recorded, or missing"
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{name} was changed"
    assert f'PACKAGE_VERSION:"{SWAGGER_UI_VERSION}"'.encode() in (folder / "swagger-ui-bundle.js").read_bytes()
