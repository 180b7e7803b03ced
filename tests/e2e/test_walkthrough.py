"""The README's walkthrough, run as written against real `cascade` processes."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.cli.processes import free_port
from entrypoints.wiring.settings import PROJECT_ROOT
from tests.conftest import create_database
from tests.support.dev_process import CASCADE, Dev, base_env, dev_env, processes_of


def walkthrough_script() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", readme, re.S)
    assert block, "README.md lost its walkthrough block"
    return block[1]


def wait_until_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{base}/api/v1/readiness", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never became ready")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    process.send_signal(sig)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def run_walkthrough(base: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough_script()],
        env=dict(os.environ, API=f"{base}/api/v1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def served(postgres_url: str, redis_url: str) -> Iterator[str]:
    url = asyncio.run(create_database(postgres_url, "cascade_e2e"))
    env = base_env(CASCADE_PROFILE="local", CASCADE_DATABASE_URL=url, CASCADE_REDIS_URL=redis_url)
    migrated = subprocess.run([CASCADE, "migrate"], env=env, capture_output=True, text=True, check=False)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    process = subprocess.Popen([CASCADE, "serve"], env={**env, "CASCADE_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base
    finally:
        stop(process, signal.SIGTERM)


def test_readme_walkthrough_on_cascade_serve(served: str) -> None:
    result = run_walkthrough(served)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "204"
    assert '"role":"admin"' in result.stdout
    assert '"email":"bob@example.com"' in result.stdout


def test_cascade_dev_runs_the_walkthrough_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = dev_env(data_dir, CASCADE_ENCRYPTION_KEYS="")  # the development key of one machine, kept in the data dir
    dev = Dev(env)
    base = dev.api.removesuffix("/api/v1")
    try:
        # Ready means every process it started is: the API, the worker and the scraper, each seen ready.
        dev.wait_ready()
        scraper = httpx.get(f"http://127.0.0.1:{env['CASCADE_SCRAPER_PORT']}/health", timeout=10)
        assert scraper.status_code == 200, "`cascade dev` runs the scraper service beside the API"
        health = httpx.get(f"{dev.api}/health", timeout=10).json()["data"]
        processes = {c["name"]: c for c in health["components"] if c["name"] in ("worker", "scraper")}
        assert {name: c["status"] for name, c in processes.items()} == {"worker": "ok", "scraper": "ok"}, health
        assert all(c["required"] is False for c in processes.values())
        result = run_walkthrough(base)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        code = dev.interrupt()
    assert code in (0, 130), dev.output()[-3000:]
    pgdata = data_dir / "postgres" / "pgdata"
    assert (pgdata / "PG_VERSION").exists(), "the embedded database lives in the data dir"
    assert not (pgdata / "postmaster.pid").exists(), "Ctrl-C must stop the embedded PostgreSQL too"
    assert (data_dir / "temporal" / "dev.db").exists(), "the Temporal dev server keeps its state in the data dir"
    assert not port_open(int(env["CASCADE_EMBEDDED_TEMPORAL_PORT"])), "Ctrl-C must stop the Temporal dev server too"
    assert not port_open(int(env["CASCADE_SCRAPER_PORT"])), "Ctrl-C must stop the scraper too"
    assert processes_of(data_dir) == {}, "Ctrl-C must stop every process it started"
    assert (data_dir / "dev-encryption-keys").stat().st_mode & 0o777 == 0o600, "the development key lives there too"


def test_cascade_dev_sandbox_enriches_from_the_fake_providers(tmp_path: Path) -> None:
    dev = Dev(dev_env(tmp_path / "data", CASCADE_STARTER_CREDITS="1000"), "--sandbox")
    base = dev.api
    try:
        dev.wait_ready()
        session = httpx.post(
            f"{base}/auth/register",
            json={"email": "demo@example.com", "password": "correct horse battery", "name": "Demo"},
        ).json()["data"]
        headers = {"Authorization": f"Bearer {session['accessToken']}"}
        workspace = httpx.post(f"{base}/workspaces", json={"name": "Demo"}, headers=headers).json()["data"]["id"]
        body = {"kind": "company", "inputs": {"domain": "northwind.io"}, "fields": ["name", "industry"]}
        answer = httpx.post(f"{base}/workspaces/{workspace}/enrichment/enrich", json=body, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["record"]["status"] == "enriched"

        # A job goes through the Temporal dev server and the worker `dev` started.
        people = [{"kind": "person", "inputs": {"email": f"demo{i}@crowd.example"}} for i in range(120)]
        jobs = f"{base}/workspaces/{workspace}/enrichment/jobs"
        job = httpx.post(jobs, json={"records": people, "fields": ["title"]}, headers=headers, timeout=30)
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 60
        while (state := httpx.get(f"{jobs}/{job.json()['data']['id']}", headers=headers).json()["data"])["status"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["status"] == "completed", state
        assert state["progress"]["enriched"] == 120
        assert state["creditsSpent"] == 120
    finally:
        assert dev.interrupt() in (0, 130)
