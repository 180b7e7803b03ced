"""The fixture company site (tests/fixtures/sites/acme) as an app to serve on 127.0.0.1, with the redirects and
the callback the scraper tests need, and the scraper's service key."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get, post
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from entrypoints.wiring.settings import PROJECT_ROOT

SITE = PROJECT_ROOT / "tests" / "fixtures" / "sites" / "acme"
KEY = "scraper-test-service-key-0123456789"


def site_app(received: list[tuple[dict[str, str], bytes]]) -> Litestar:
    @get("/go/metadata")
    async def to_metadata() -> Redirect:
        return Redirect("http://169.254.169.254/latest/meta-data/")

    @get("/go/about")
    async def to_about() -> Redirect:
        return Redirect("/about.html")

    @post("/callback", status_code=204)
    async def callback(request: Request[Any, Any, Any]) -> None:
        received.append((dict(request.headers), await request.body()))

    static = create_static_files_router(path="/", directories=[SITE], html_mode=True)
    return Litestar(route_handlers=[to_metadata, to_about, callback, static])
