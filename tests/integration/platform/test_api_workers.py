"""`cascade serve` with CASCADE_API_WORKERS=2: two processes answer on one port, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from entrypoints.cli.processes import free_port
from tests.support.dev_process import CASCADE, base_env


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


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
    with (tmp_path / "serve.log").open("wb") as log:
        supervisor = subprocess.Popen([CASCADE, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert supervisor.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "cascade serve did not answer"
            time.sleep(0.2)
        workers = children_of(supervisor.pid)
        assert len(workers) == 2, workers
        answers = [httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) for _ in range(20)]
        assert {a.status_code for a in answers} == {200}
    finally:
        supervisor.send_signal(signal.SIGTERM)
        code = supervisor.wait(30)
    assert code == 0, (tmp_path / "serve.log").read_text()
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers), "every worker stopped with it"
