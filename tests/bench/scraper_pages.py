"""Scraper throughput: pages per minute through plain HTTP and through the browser pool, on the fixture site.

    make bench   (or: python -m tests.bench.scraper_pages)

The fixture company site of tests/fixtures/sites/acme is served on
127.0.0.1 (allow-listed); the real scraper service, served by uvicorn,
reads one page per scrape, 8 scrapes at a time, with politeness off (it measures the
machinery, not the manners) and extractors on. One JSON line per mode.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import httpx

from entrypoints.scraper.app import create_scraper_app
from tests.conftest import test_settings
from tests.fakes.server import serve
from tests.support.scraper_site import KEY, site_app

PAGES = int(os.environ.get("BENCH_SCRAPER_PAGES", "120"))
CONCURRENCY = 8
FILES = ("index.html", "about.html", "contact.html", "team.html", "imprint.html")


async def measure(site: str, render: str) -> dict[str, Any]:
    settings = test_settings(
        scraper_service_keys=KEY,
        network_allowlist="127.0.0.1/32",
        scraper_domain_concurrency=CONCURRENCY,
        scraper_domain_delay_seconds=0,
        scraper_browsers=1,
        scraper_pages_per_browser=CONCURRENCY,
        log_level="WARNING",
    )
    # a real server: the test client would hand the app one request at a time
    with serve(create_scraper_app(settings)) as base:
        scraper = httpx.AsyncClient(base_url=base.rstrip("/"))
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            async with slots:
                body = {"url": f"{site}/{FILES[i % len(FILES)]}", "render": render, "maxPages": 1}
                answer = await scraper.post("/v1/scrape", json=body, headers={"X-Service-Key": KEY}, timeout=60)
                assert answer.status_code == 200, answer.text

        await one(0)  # warm: the browser launch is not a page
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(PAGES)))
        seconds = time.perf_counter() - started
        await scraper.aclose()
    return {
        "benchmark": "scraper pages/min",
        "render": render,
        "pages": PAGES,
        "concurrency": CONCURRENCY,
        "seconds": round(seconds, 2),
        "pages_per_minute": round(PAGES / seconds * 60),
    }


async def main() -> None:
    with serve(site_app([])) as url:
        site = url.rstrip("/")
        for render in ("never", "always"):
            print(json.dumps(await measure(site, render)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
