"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import AsyncContainer
from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from entrypoints.http.api_docs import SwaggerUIPage, docs_router
from entrypoints.http.controllers.admin import ReplicationAdminController, SearchAdminController
from entrypoints.http.controllers.audit import AuditLogController
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.credentials import CredentialController
from entrypoints.http.controllers.credits import CreditController
from entrypoints.http.controllers.enrichment import EnrichmentController, ProviderController
from entrypoints.http.controllers.invitations import InvitationAcceptController, InvitationController
from entrypoints.http.controllers.jobs import JobController
from entrypoints.http.controllers.metrics import MetricsController
from entrypoints.http.controllers.ops import OpsController
from entrypoints.http.controllers.records import RecordController
from entrypoints.http.controllers.search import SearchController
from entrypoints.http.controllers.team import TeamController
from entrypoints.http.controllers.webhooks import WebhookController
from entrypoints.http.controllers.workspaces import WorkspaceController
from entrypoints.http.edge import with_edge
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.rate_limits import RateLimitMiddleware
from entrypoints.http.strict_body import reject_loose_json
from entrypoints.http.tracing import API_UNTRACED, request_tracing
from entrypoints.wiring.background import BackgroundWork
from entrypoints.wiring.container import build_container
from entrypoints.wiring.settings import Settings
from ports.secret_box import SecretBox

API_VERSION = "0.1.0"


def create_app(settings: Settings, container: AsyncContainer | None = None) -> Litestar:
    """Build the API. The container is built here unless one is given (tests), and closed on shutdown."""
    di = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        work = await di.get(BackgroundWork)
        try:
            await di.get(SecretBox)  # a bad keyring stops start-up; a development key is announced now
            await work.start()
            yield
        finally:
            await work.stop()  # the work first, then the pools and clients it uses
            await di.close()

    api = Router(
        path="/api/v1",
        middleware=[RateLimitMiddleware],
        route_handlers=[
            OpsController,
            MetricsController,
            AuthController,
            WorkspaceController,
            TeamController,
            InvitationController,
            InvitationAcceptController,
            CredentialController,
            AuditLogController,
            CreditController,
            ProviderController,
            EnrichmentController,
            JobController,
            RecordController,
            SearchController,
            WebhookController,
            ReplicationAdminController,
            SearchAdminController,
        ],
    )
    app = Litestar(
        route_handlers=[api],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=reject_loose_json,
        request_max_body_size=settings.max_json_body_bytes,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Cascade API",
            version=API_VERSION,
            description="Data enrichment: teams, credits, credentials, records, waterfall enrichment, jobs, webhooks.",
            openapi_router=docs_router("/schema"),  # the docs' own assets: no page asks another host
            render_plugins=[SwaggerUIPage(path="/swagger")],  # the only one, so /schema serves it too
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        debug=False,
        logging_config=None,
        plugins=request_tracing(API_UNTRACED),
    )
    return with_edge(app, di, body_timeout_seconds=settings.http.body_timeout_seconds, measured=True)
