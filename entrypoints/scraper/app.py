"""The scraper service: a Litestar app of its own, behind `X-Service-Key`, in the API's envelope."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from dishka import AsyncContainer, FromDishka
from litestar import Controller, Litestar, Request, Router, get, post
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import Parameter

from application.scrape.scrape_site import ScrapeCommand, ScrapeSite
from domain.kernel.errors import NotFound, ServiceKeyRefused, ValidationFailed
from domain.scraping.pages import Render, ScrapeLimits
from entrypoints.http.api_docs import SwaggerUIPage, docs_router
from entrypoints.http.edge import with_edge
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.injection import inject
from entrypoints.http.strict_body import reject_loose_json
from entrypoints.http.tracing import SCRAPER_UNTRACED, request_tracing
from entrypoints.scraper.jobs import ScrapeJobs
from entrypoints.scraper.schemas import (
    ExtractorOut,
    ScrapeJobOut,
    ScrapeJobRequest,
    ScrapeOut,
    ScrapeRequest,
    scrape_out,
)
from entrypoints.scraper.wiring import ExtractorRegistry, build_scraper_container, renders_pages
from entrypoints.wiring.settings import Settings, service_keys

log = structlog.get_logger("cascade.scraper")
SERVICE_KEY: list[dict[str, list[str]]] = [{"ServiceKey": []}]


def _key_guard(keys: list[str]) -> Any:
    encoded = [k.encode() for k in keys]

    async def service_key(request: Request[Any, Any, Any]) -> str:
        given = request.headers.get("x-service-key", "")
        # every key compared, each in constant time: neither the match nor its position leaks
        matches = [hmac.compare_digest(given.encode(), key) for key in encoded]
        if not given or not any(matches):  # the error handler logs the security event, never the key
            raise ServiceKeyRefused("missing or wrong X-Service-Key")
        return given

    return Provide(service_key)


class HealthController(Controller):
    path = "/health"
    tags = ["ops"]

    @get("/", summary="Liveness of the scraper service")
    async def health(self) -> Envelope[dict[str, str]]:
        return ok({"status": "ok"})


def _command(data: ScrapeRequest, settings: Settings) -> ScrapeCommand:
    if (data.url is None) == (data.domain is None):
        raise ValidationFailed("give a url or a domain")
    return ScrapeCommand(
        target=data.url or data.domain or "",
        extractors=list(data.extractors) if data.extractors is not None else None,
        render=Render(data.render),
        limits=ScrapeLimits(
            max_pages=data.max_pages or settings.scraper.max_pages,
            max_seconds=data.max_seconds or settings.scraper.max_seconds,
        ),
    )


class ScrapeController(Controller):
    path = "/"
    tags = ["scrape"]
    security = SERVICE_KEY

    @get("/extractors", summary="The extractors, with the fields each can find")
    @inject
    async def extractors(
        self, service_key: str, catalog: FromDishka[ExtractorRegistry]
    ) -> Envelope[list[ExtractorOut]]:
        return ok([ExtractorOut(name=e.name, fields=list(e.fields)) for e in catalog.all()])

    @post("/scrape", status_code=200, summary="Scrape a company site now: its home page and key pages")
    @inject
    async def scrape(
        self, service_key: str, data: ScrapeRequest, uc: FromDishka[ScrapeSite], settings: FromDishka[Settings]
    ) -> Envelope[ScrapeOut]:
        return ok(scrape_out(await uc(_command(data, settings))))

    @post("/scrape/jobs", status_code=202, summary="Scrape in the background; the result by id or to callbackUrl")
    @inject
    async def submit(
        self, service_key: str, data: ScrapeJobRequest, jobs: FromDishka[ScrapeJobs], settings: FromDishka[Settings]
    ) -> Envelope[ScrapeJobOut]:
        command = _command(data, settings)
        job = jobs.submit(command, callback_url=data.callback_url, signing_key=service_key)
        return ok(job.out())

    @get("/scrape/jobs/{job_id:str}", summary="A scrape job and, once done, its result")
    @inject
    async def job(
        self,
        service_key: str,
        job_id: Annotated[str, Parameter(max_length=64)],
        jobs: FromDishka[ScrapeJobs],
    ) -> Envelope[ScrapeJobOut]:
        job = jobs.get(job_id)
        if job is None:
            raise NotFound("scrape job not found")
        return ok(job.out())


def create_scraper_app(settings: Settings, container: AsyncContainer | None = None) -> Litestar:
    di = container or build_scraper_container(settings)
    keys = service_keys(settings)
    if not keys:
        log.warning("no_service_keys", message="CASCADE_SCRAPER_SERVICE_KEYS is empty: every /v1 call is refused")
    if settings.scraper.browsers and not renders_pages(settings):
        log.warning(
            "no_browser",
            chromium=settings.scraper.chromium_path,
            message="Chromium is not at CASCADE_SCRAPER_CHROMIUM_PATH: pages are read with plain HTTP only, "
            "without JavaScript (apt-get install chromium, or CASCADE_SCRAPER_BROWSERS=0 to run without on purpose)",
        )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await di.close()

    v1 = Router(path="/v1", route_handlers=[ScrapeController], dependencies={"service_key": _key_guard(keys)})
    app = Litestar(
        route_handlers=[HealthController, v1],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=reject_loose_json,
        request_max_body_size=64 * 1024,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Cascade scraper",
            version="0.1.0",
            openapi_router=docs_router("/schema"),  # the same self-hosted Swagger UI as the API's
            render_plugins=[SwaggerUIPage(path="/swagger")],
            components=Components(
                security_schemes={
                    "ServiceKey": SecurityScheme(type="apiKey", name="X-Service-Key", security_scheme_in="header")
                }
            ),
        ),
        debug=False,
        logging_config=None,
        plugins=request_tracing(SCRAPER_UNTRACED),
    )
    return with_edge(app, di, body_timeout_seconds=settings.http.body_timeout_seconds)
