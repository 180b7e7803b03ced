"""The scraper service end to end: the fixture company site served on 127.0.0.1, read through the real
service (plain HTTP and Debian's Chromium), behind X-Service-Key, with the SSRF guard (R7) in force.

127.0.0.1 is loopback, so the scraper refuses it unless allow-listed: these tests allow 127.0.0.1/32
through CASCADE_NETWORK_ALLOWLIST, as operators would for an intranet, and check the refusals without it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.telemetry.logging import configure_logging
from application.scrape.scrape_site import ROBOTS_SAY_NO
from domain.kernel.signatures import verify
from entrypoints.scraper.app import create_scraper_app
from entrypoints.wiring.settings import Settings
from tests.api import assert_error
from tests.conftest import test_settings
from tests.fakes.server import serve
from tests.support.scraper_site import KEY, site_app

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def received() -> list[tuple[dict[str, str], bytes]]:
    return []


@pytest.fixture(scope="module")
def site(received: list[tuple[dict[str, str], bytes]]) -> Iterator[str]:
    with serve(site_app(received)) as url:
        yield url.rstrip("/")


def scraper_settings(**overrides: Any) -> Settings:
    defaults: dict[str, Any] = {
        "scraper_service_keys": f"{KEY}, second-key-for-rotation-0123",
        "network_allowlist": "127.0.0.1/32",
        "scraper_domain_delay_seconds": 0,
        "scraper_max_seconds": 30,
    }
    return test_settings(**(defaults | overrides))


@pytest.fixture(scope="module")
async def scraper() -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_scraper_app(scraper_settings())) as client:
        yield client


async def scrape(client: Any, body: dict[str, Any], key: str = KEY) -> Any:
    return await client.post("/v1/scrape", json=body, headers={"X-Service-Key": key}, timeout=60)


async def test_health_is_open_and_everything_else_needs_a_service_key(scraper: Any) -> None:
    assert (await scraper.get("/health")).status_code == 200
    assert_error(await scraper.get("/v1/extractors"), 401, "UNAUTHORIZED")
    assert_error(await scraper.get("/v1/extractors", headers={"X-Service-Key": "wrong"}), 401, "UNAUTHORIZED")
    for key in (KEY, "second-key-for-rotation-0123"):
        listed = await scraper.get("/v1/extractors", headers={"X-Service-Key": key})
        assert listed.status_code == 200
    names = {e["name"] for e in listed.json()["data"]}
    assert {"contacts", "social", "company_meta", "schema_org", "tech_stack"} <= names


async def test_a_wrong_service_key_is_a_security_event_in_the_log(
    scraper: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    capsys.readouterr()
    assert_error(await scraper.get("/v1/extractors", headers={"X-Service-Key": "guessing-a-key"}), 401, "UNAUTHORIZED")
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"security_event"' in line]
    assert [(e["kind"], e["presented"]) for e in events] == [("service_key_failure", True)]
    assert "guessing-a-key" not in json.dumps(events)


async def test_a_site_is_read_home_then_key_pages(scraper: Any, site: str) -> None:
    response = await scrape(scraper, {"url": site + "/", "render": "never"})
    assert response.status_code == 200, response.text
    result = response.json()["data"]
    pages = result["pages"]
    assert pages[0] == site + "/"
    assert {site + "/about.html", site + "/contact.html"} <= set(pages)
    assert not any("/private/" in p for p in pages)
    assert result["rendered"] == []
    emails = {e["value"] for e in result["data"]["contacts"]["emails"]}
    assert "sales@acme-robotics.test" in emails, emails
    assert all(p["value"].startswith("+") for p in result["data"]["contacts"]["phones"])
    technologies = {t["name"] for t in result["data"]["tech_stack"]["technologies"]}
    assert {"Stripe", "Segment"} <= technologies, technologies
    assert result["data"]["social"]["linkedin"] == "https://linkedin.com/company/acme-robotics"


@needs_chromium
async def test_only_the_browser_reads_what_javascript_writes(scraper: Any, site: str) -> None:
    body = {"url": site + "/app.html", "extractors": ["contacts"], "maxPages": 1}
    static = (await scrape(scraper, {**body, "render": "never"})).json()["data"]
    assert "jobs@acme-robotics.test" not in json.dumps(static)
    for render in ("auto", "always"):
        response = await scrape(scraper, {**body, "render": render})
        assert response.status_code == 200, response.text
        rendered = response.json()["data"]
        assert rendered["rendered"] == [site + "/app.html"], render
        assert "jobs@acme-robotics.test" in {e["value"] for e in rendered["data"]["contacts"]["emails"]}


async def test_robots_txt_is_obeyed(scraper: Any, site: str) -> None:
    result = (await scrape(scraper, {"url": site + "/private/secret.html"})).json()["data"]
    assert result["pages"] == []
    assert result["skipped"] == {site + "/private/secret.html": ROBOTS_SAY_NO}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "169.254.169.254"),
        ({"url": "http://10.0.0.1/"}, "10.0.0.1"),
        ({"url": "http://100.64.0.1/"}, "100.64.0.1"),
        ({"url": "http://[fd00::1]/"}, "fd00::1"),
        ({"url": "http://[::ffff:127.0.0.2]/"}, "127.0.0.2"),
        ({"url": "http://127.0.0.2/"}, "127.0.0.2"),
        ({"url": "file:///etc/passwd"}, "file"),
        ({"url": "gopher://example.com/"}, "gopher"),
    ],
)
async def test_refused_targets_are_a_clean_422_with_the_reason(scraper: Any, body: dict[str, Any], reason: str) -> None:
    error = assert_error(await scrape(scraper, body), 422, "VALIDATION_FAILED")
    assert reason in error["message"], error


async def test_a_redirect_to_a_refused_address_is_refused_at_the_hop(scraper: Any, site: str) -> None:
    error = assert_error(await scrape(scraper, {"url": site + "/go/metadata"}), 422, "VALIDATION_FAILED")
    assert "169.254.169.254" in error["message"]
    followed = (await scrape(scraper, {"url": site + "/go/about", "maxPages": 1})).json()["data"]
    assert followed["pages"] == [site + "/about.html"]


async def test_without_the_allowlist_loopback_is_refused(site: str) -> None:
    async with AsyncTestClient(app=create_scraper_app(scraper_settings(network_allowlist=""))) as strict:
        error = assert_error(await scrape(strict, {"url": site + "/"}), 422, "VALIDATION_FAILED")
        assert "127.0.0.1" in error["message"]
        by_name = assert_error(await scrape(strict, {"domain": "localhost"}), 422, "VALIDATION_FAILED")
        assert "loopback" in by_name["message"], by_name


async def test_a_job_delivers_its_result_to_a_signed_callback(
    scraper: Any, site: str, received: list[tuple[dict[str, str], bytes]]
) -> None:
    body = {"url": site + "/", "render": "never", "extractors": ["contacts"], "callbackUrl": site + "/callback"}
    submitted = await scraper.post("/v1/scrape/jobs", json=body, headers={"X-Service-Key": KEY})
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["data"]["id"]
    for _ in range(300):
        job = (await scraper.get(f"/v1/scrape/jobs/{job_id}", headers={"X-Service-Key": KEY})).json()["data"]
        if job["callback"] is not None:
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "completed"
    assert job["callback"] == "delivered"
    headers, raw = received[-1]
    assert headers["x-cascade-event"] == "scrape.completed"
    assert headers["x-cascade-delivery"] == job_id
    assert verify(headers["x-cascade-signature"], KEY, raw, now=int(time.time()))
    assert not verify(headers["x-cascade-signature"], "another-key", raw, now=int(time.time()))
    assert json.loads(raw)["result"]["data"]["contacts"]["emails"]
    missing = await scraper.get("/v1/scrape/jobs/nope", headers={"X-Service-Key": KEY})
    assert_error(missing, 404, "NOT_FOUND")


async def test_a_callback_to_a_refused_address_is_not_sent(scraper: Any, site: str) -> None:
    body = {"url": site + "/", "render": "never", "maxPages": 1, "callbackUrl": "http://169.254.169.254/hook"}
    job_id = (await scraper.post("/v1/scrape/jobs", json=body, headers={"X-Service-Key": KEY})).json()["data"]["id"]
    for _ in range(300):
        job = (await scraper.get(f"/v1/scrape/jobs/{job_id}", headers={"X-Service-Key": KEY})).json()["data"]
        if job["callback"] is not None:
            break
        await asyncio.sleep(0.1)
    assert job["callback"].startswith("failed:")
    assert "169.254.169.254" in job["callback"]
