"""Slow and vanishing clients against a real `cascade serve`: read deadlines, 408, and no 500 for a hang-up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from entrypoints.cli.processes import free_port
from entrypoints.wiring.settings import PROJECT_ROOT
from tests.conftest import TEST_KEYS

CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")
TIMEOUT = 0.5  # both deadlines, so the test waits little; the default is seconds
# Bounds on failure only: each wait ends as soon as its condition holds.
DEADLINE = 20.0


@dataclass(slots=True)
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[dict[str, object]]:
        text = self.log.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def requests(self, path: str) -> list[dict[str, object]]:
        return [line for line in self.lines() if line.get("event") == "request" and line.get("path") == path]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("slow-clients")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env |= {
        "CASCADE_PROFILE": "memory",
        "CASCADE_PORT": str(port),
        "CASCADE_DATA_DIR": str(folder),
        "CASCADE_ENCRYPTION_KEYS": TEST_KEYS["encryption_keys"],
        "CASCADE_HTTP_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "CASCADE_HTTP_BODY_TIMEOUT_SECONDS": str(TIMEOUT),
        "CASCADE_LOG_LEVEL": "INFO",
    }
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([CASCADE, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _ready(port), "the server never became ready", process)
        yield Server(port, process, log)
    finally:
        process.terminate()
        process.wait(20)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition: object, message: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert process is None or process.poll() is None, "the server exited"
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(message)


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the socket's timeout)."""
    sock.settimeout(DEADLINE)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def envelope(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def test_headers_that_never_finish_are_answered_408_and_the_connection_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
        started = time.monotonic()
        status, body = envelope(read_answer(sock))
    assert status == 408
    assert body["error"] == {
        "code": "REQUEST_TIMEOUT",
        "message": "the request headers did not arrive in time",
        "details": [],
    }
    assert time.monotonic() - started < DEADLINE / 2


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        status, _ = envelope(read_answer(sock))
    assert status == 408


def test_half_a_body_is_answered_408_in_the_envelope(server: Server) -> None:
    body = json.dumps({"email": "slow@example.com", "password": "a long passphrase", "name": "Slow"}).encode()
    path = "/api/v1/auth/register"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
        answer = read_answer(sock)
    status, envelope_ = envelope(answer)
    assert status == 408
    assert envelope_["error"]["code"] == "REQUEST_TIMEOUT"  # type: ignore[index]
    assert b"connection: close" in answer.lower()
    wait_for(lambda: server.requests(path), "the timed-out request was not logged")
    assert [line["status"] for line in server.requests(path)] == [408]
    # and nobody was registered from half a body
    login = httpx.post(f"http://127.0.0.1:{server.port}/api/v1/auth/login", json={"email": "slow@example.com"})
    assert login.status_code in {401, 422}


def test_a_client_that_hangs_up_midway_is_499_in_the_log_and_no_server_error(server: Server) -> None:
    path = "/api/v1/workspaces"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head.encode() + b'{"name": ')  # and hangs up
    wait_for(lambda: server.requests(path), "the abandoned request was not logged")
    assert [line["status"] for line in server.requests(path)] == [499]
    assert not [line for line in server.lines() if line.get("level") == "error"]
    metrics = httpx.get(f"http://127.0.0.1:{server.port}/api/v1/metrics").text
    assert 'route="/api/v1/workspaces",status="500"' not in metrics
    assert 'route="/api/v1/workspaces",status="499"' in metrics


def test_a_patient_client_is_served(server: Server) -> None:
    """The deadline is per part: a body sent in pieces, each well within it, is taken."""
    body = json.dumps({"email": "patient@example.com", "password": "a long passphrase", "name": "P"}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        head = "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        sock.sendall(f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        for i in range(0, len(body), 16):
            sock.sendall(body[i : i + 16])
            time.sleep(TIMEOUT / 5)
        status, _ = envelope(read_answer(sock))
    assert status == 201
