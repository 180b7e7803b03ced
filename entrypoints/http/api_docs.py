"""The interactive API docs, served by the API itself: Swagger UI at /schema and /schema/swagger.

The page, Swagger UI's files (vendored, pinned: api_docs_assets/swagger-ui/VENDORED.md) and the OpenAPI document
all come from this server, so the docs work without internet and a visit tells no CDN. The page's
Content-Security-Policy lets it load nothing from anywhere else, and it has no inline script or style.

Assets are served at /schema/assets/<digest>/<name>, the digest being the start of the file's sha256: the content
of a URL never changes, so it is cached for a year as immutable, and a new file gets a new URL. They are outside
/api/v1, so the rate limiter never sees them.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER_UI_VERSION = "5.35.0"  # the vendored swagger-ui-dist; VENDORED.md says where from
ASSETS = Path(__file__).with_name("api_docs_assets")
ASSET_ROUTE = "api-docs-asset"
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_JS, _CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
_FILES = {  # name in the URL: (file under ASSETS, media type)
    "swagger-ui-bundle.js": ("swagger-ui/swagger-ui-bundle.js", _JS),
    "swagger-ui.css": ("swagger-ui/swagger-ui.css", _CSS),
    "index.css": ("swagger-ui/index.css", _CSS),
    "favicon-32x32.png": ("swagger-ui/favicon-32x32.png", "image/png"),
    "swagger-init.js": ("swagger-init.js", _JS),
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


@cache
def assets() -> dict[str, Asset]:
    """Read once per process, when the docs are first asked for."""
    found = {}
    for name, (file, media_type) in _FILES.items():
        body = (ASSETS / file).read_bytes()
        found[name] = Asset(body, media_type, hashlib.sha256(body).hexdigest()[:16])
    return found


@cache
def _gzipped(name: str) -> bytes:
    return gzip.compress(assets()[name].body, compresslevel=9, mtime=0)


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding == "gzip":
            weight = next((p.removeprefix("q=") for p in params if p.startswith("q=")), "1")
            try:
                return float(weight) > 0
            except ValueError:
                return False
    return False


# In a thread: a process's first answer of the bundle gzips it (about 70 ms), the event loop goes on meanwhile.
@get("/assets/{digest:str}/{file:str}", name=ASSET_ROUTE, include_in_schema=False, sync_to_thread=True)
def docs_asset(request: Request[Any, Any, Any], digest: str, file: str) -> Response[bytes]:
    asset = assets().get(file)
    if asset is None or digest != asset.digest:
        raise NotFoundException()  # an old digest too: that file is gone
    headers = {"cache-control": ASSET_CACHE, "etag": asset.etag, "vary": "accept-encoding"}
    if asset.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, headers=headers)
    if _accepts_gzip(request.headers.get("accept-encoding", "")) and not asset.media_type.startswith("image/"):
        return Response(_gzipped(file), media_type=asset.media_type, headers={**headers, "content-encoding": "gzip"})
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _page_headers(response: Response[Any]) -> Response[Any]:
    """The docs' HTML (the pages, Litestar's 404 page) gets the CSP; a page is revalidated, its assets are not."""
    if str(response.media_type).startswith("text/html"):
        response.headers["content-security-policy"] = PAGE_CSP
        response.headers["cache-control"] = "no-cache"
    return response


def docs_router(path: str = "/schema") -> Router:
    """`OpenAPIConfig(openapi_router=...)`: the assets; Litestar adds the pages and the document to it."""
    return Router(
        path,
        route_handlers=[docs_asset],
        after_request=_page_headers,
        include_in_schema=False,
        dto=None,
        return_dto=None,
    )


class SwaggerUIPage(OpenAPIRenderPlugin):
    """Swagger UI from this server. The page names its assets and the document by path, never by host."""

    def __init__(self, *, path: str | Sequence[str] = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        def url(name: str) -> str:
            return html.escape(request.app.route_reverse(ASSET_ROUTE, digest=assets()[name].digest, file=name))

        title = html.escape(str(openapi_schema["info"]["title"]))
        document = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{url("favicon-32x32.png")}">
<link rel="stylesheet" href="{url("swagger-ui.css")}">
<link rel="stylesheet" href="{url("index.css")}">
</head>
<body>
<noscript>The API docs need JavaScript; the document itself is at <a href="{document}">{document}</a>.</noscript>
<div id="swagger-ui" data-openapi-url="{document}"></div>
<script src="{url("swagger-ui-bundle.js")}"></script>
<script src="{url("swagger-init.js")}"></script>
</body>
</html>
""".encode()
