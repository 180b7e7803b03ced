"""A fake of our scraper service's wire format (`POST /v1/scrape`), for the provider adapter's tests.

Domains: northwind.io has a readable site; quiet.test has a site that says
nothing; down.test cannot be fetched (502 FETCH_FAILED); internal.test is a
refused target (422); broken.test makes the service fail (500).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, post

SCRAPER_KEY = "fake-scraper-service-key"

NORTHWIND = {
    "company_meta": {"name": "Northwind Analytics", "description": "Product telemetry into revenue forecasts."},
    "social": {"linkedin": "https://www.linkedin.com/company/northwind-analytics", "twitter": "https://x.com/northwindhq"},
    "tech_stack": {"technologies": [{"name": "Segment", "category": "analytics", "evidence": ["script: x"]},
                                    {"name": "Stripe", "category": "payments", "evidence": ["script: y"]}]},
    "contacts": {"emails": [{"value": "hello@northwind.io", "page": "https://northwind.io/contact"}],
                 "phones": [{"value": "+14155550100", "page": "https://northwind.io/contact"}]},
}  # fmt: skip


def _error(status: int, code: str, message: str) -> Response[Any]:
    body = {"success": False, "data": None, "error": {"code": code, "message": message, "details": []},
            "meta": {"requestId": "fake"}}  # fmt: skip
    return Response(content=body, status_code=status)


def create_app(*, api_key: str = SCRAPER_KEY) -> Litestar:
    @post("/v1/scrape", status_code=200)
    async def scrape(request: Request[Any, Any, Any]) -> Response[Any]:
        if request.headers.get("x-service-key") != api_key:
            return _error(401, "UNAUTHORIZED", "missing or wrong X-Service-Key")
        domain = (await request.json()).get("domain", "")
        if domain == "down.test":
            return _error(502, "FETCH_FAILED", "the site could not be fetched: connection refused")
        if domain == "internal.test":
            return _error(422, "VALIDATION_FAILED", "internal.test resolves to 10.0.0.5, a private address")
        if domain == "broken.test":
            return _error(500, "INTERNAL", "unexpected error")
        data = NORTHWIND if domain == "northwind.io" else {"contacts": {"emails": [], "phones": []}}
        body = {"url": f"https://{domain}/", "pages": [f"https://{domain}/"], "rendered": [], "skipped": {},
                "seconds": 0.1, "data": data}  # fmt: skip
        return Response(content={"success": True, "data": body, "error": None, "meta": {"requestId": "fake"}})

    return Litestar(route_handlers=[scrape])
