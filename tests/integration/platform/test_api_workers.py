"""`cascade serve` with CASCADE_API_WORKERS=2: two processes answer on one port, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from entrypoints.cli.processes import free_port
from tests.support.dev_process import CASCADE, base_env, processes_of, wait_until


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_api_processes_share_the_port_and_stop_with_their_supervisor(migrated_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = base_env(
        CASCADE_PROFILE="local",
        CASCADE_DATABASE_URL=migrated_url,
        CASCADE_TEMPORAL_ADDRESS=os.environ["TEST_TEMPORAL_ADDRESS"],
        CASCADE_TEMPORAL_TASK_QUEUE=f"api-workers-{port}",
        CASCADE_API_WORKERS="2",
        CASCADE_PORT=str(port),
        CASCADE_DATA_DIR=str(tmp_path),
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen([CASCADE, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    health = f"http://127.0.0.1:{port}/api/v1/health"
    try:
        wait_until(lambda: answers(health), "cascade serve answers", timeout=60, describe=log.read_text)
        workers = set(processes_of(tmp_path)) - {supervisor.pid}
        assert len(workers) == 2, processes_of(tmp_path)
        assert all(answers(health) for _ in range(20))
    finally:
        supervisor.send_signal(signal.SIGTERM)
        code = supervisor.wait(30)
    assert code == 0, log.read_text()
    assert processes_of(tmp_path) == {}, "every worker stopped with it"
