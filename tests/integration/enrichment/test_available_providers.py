"""The waterfall, the job and GET /providers know only the providers this deployment can call.

The scraper is a provider only where its service is set up (`CASCADE_SCRAPER_URL`): without it, it is
neither listed, nor reserved for, nor asked for.
"""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.api import assert_error, create_workspace, register
from tests.conftest import test_settings

PEOPLE = {"records": [{"kind": "company", "inputs": {"domain": "acme.com"}}], "fields": ["industry", "description"]}


async def test_without_a_scraper_service_the_scraper_is_not_a_provider(client: Any) -> None:
    owner = await register(client)
    workspace = await create_workspace(client, owner)
    listed = await client.get("/api/v1/providers", headers=owner.headers)
    assert [p["name"] for p in listed.json()["data"]] == ["apollo", "hunter", "clearbit"]

    jobs = f"/api/v1/workspaces/{workspace}/enrichment/jobs"
    job = await client.post(jobs, json=PEOPLE, headers=owner.headers)
    assert job.status_code == 202, job.text
    assert "scraper" not in job.json()["data"]["providers"]

    asked = await client.post(jobs, json={**PEOPLE, "providers": ["scraper"]}, headers=owner.headers)
    error = assert_error(asked, 422, "VALIDATION_FAILED")
    assert "not available in this deployment: scraper" in error["message"]
    enrich = f"/api/v1/workspaces/{workspace}/enrichment/enrich"
    body = {"kind": "company", "inputs": {"domain": "acme.com"}, "fields": ["industry"], "providers": ["scraper"]}
    assert_error(await client.post(enrich, json=body, headers=owner.headers), 422, "VALIDATION_FAILED")


async def test_with_a_scraper_service_it_is_listed_and_in_the_default_order() -> None:
    settings = test_settings(scraper_url="http://127.0.0.1:9", scraper_service_keys="k" * 32)
    async with AsyncTestClient(app=create_app(settings)) as client:
        owner = await register(client)
        listed = (await client.get("/api/v1/providers", headers=owner.headers)).json()["data"]
        assert [p["name"] for p in listed] == ["scraper", "apollo", "hunter", "clearbit"], "cheapest first"
        assert (listed[0]["creditCost"], listed[0]["kinds"]) == (0, ["company"])
        workspace = await create_workspace(client, owner)
        job = await client.post(f"/api/v1/workspaces/{workspace}/enrichment/jobs", json=PEOPLE, headers=owner.headers)
        assert "scraper" in job.json()["data"]["providers"]
