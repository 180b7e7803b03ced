"""`cascade scraper` says at start-up, not at its first scrape, when it will read pages without a browser."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import httpx
import pytest

from entrypoints.cli.processes import free_port
from entrypoints.wiring.settings import PROJECT_ROOT

CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")


def start_up_log(**settings: str) -> list[dict[str, Any]]:
    """The log lines of a real `cascade scraper` from its start until it answers /health, then stopped."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {"CASCADE_SCRAPER_PORT": str(port), "CASCADE_SCRAPER_SERVICE_KEYS": "a-service-key"} | settings
    process = subprocess.Popen([CASCADE, "scraper"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the scraper exited during start-up"
            assert time.monotonic() < deadline, "the scraper never answered /health"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    lines = [line for line in output.decode().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_a_scraper_without_chromium_warns_at_start_up_that_it_reads_plain_http_only() -> None:
    log = start_up_log(CASCADE_SCRAPER_CHROMIUM_PATH="/nonexistent/chromium")
    warnings = [line for line in log if line["event"] == "no_browser"]
    assert len(warnings) == 1, log
    assert warnings[0]["level"] == "warning"
    assert warnings[0]["chromium"] == "/nonexistent/chromium"
    assert "plain HTTP only" in warnings[0]["message"]


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"CASCADE_SCRAPER_BROWSERS": "0", "CASCADE_SCRAPER_CHROMIUM_PATH": "/nonexistent"}, id="none"),
        # the check is for the path (browsers launch at the first render), so any file that exists will do
        pytest.param({"CASCADE_SCRAPER_CHROMIUM_PATH": str(PROJECT_ROOT / "pyproject.toml")}, id="path-exists"),
    ],
)
def test_no_warning_when_there_is_a_browser_or_none_is_wanted(settings: dict[str, str]) -> None:
    log = start_up_log(**settings)
    assert any(line["event"] == "scraper_serving" for line in log), log
    assert not [line for line in log if line["event"] == "no_browser"]
