"""HTTP load on loopback for the benchmarks: closed-loop (wrk when installed) and open-loop at a fixed rate.

Closed loop: C connections, each sending its next request when the last is answered; the figure is requests per
second. wrk (Debian's package) is used when it is on the PATH, else a Python client, which is slower than the
servers it measures on a small machine, so its ratios are understated (each result says which client ran).

Open loop: requests are due at a fixed rate whatever the server does, each timed from when it was due (so a
stalled server shows in the percentiles instead of slowing the client: no coordinated omission). A request
that finds every connection busy opens another, up to `max_connections`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def request(self) -> bytes:
        parts = urlsplit(self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer; its status."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if match:
            await self.reader.readexactly(int(match.group(1)))
        elif re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status


async def _connect(url: str) -> _Connection:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 22)
    return _Connection(reader, writer)


@dataclass(frozen=True, slots=True)
class Closed:
    client: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def closed_loop(target: Target, *, connections: int = 16, seconds: float = 8.0) -> Closed:
    if target.method == "GET" and not target.body and shutil.which("wrk"):
        return _wrk(target, connections, seconds)
    return asyncio.run(_python_closed(target, connections, seconds))


def _wrk(target: Target, connections: int, seconds: float) -> Closed:
    headers = [arg for name, value in target.headers.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", *headers, target.url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", out))
    return Closed("wrk", rps, _wrk_latency(out, "50%"), _wrk_latency(out, "99%"), errors)


def _wrk_latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def _python_closed(target: Target, connections: int, seconds: float) -> Closed:
    request = target.request()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal errors
        conn = await _connect(target.url)
        while (started := time.perf_counter()) < deadline:
            status = await conn.exchange(request)
            latencies.append(time.perf_counter() - started)
            errors += status >= 400
        conn.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Closed(
        "python", len(latencies) / elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000,
        errors,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Open:
    rate: float
    seconds: float
    sent: int
    answered: int
    refused: int  # answered with a status of 400 or more
    p50_ms: float
    p95_ms: float
    p99_ms: float
    connections: int

    @property
    def error_rate(self) -> float:
        """Requests not answered, or answered with an error status, of those sent."""
        return (self.sent - self.answered + self.refused) / self.sent if self.sent else 0.0


def open_loop(target: Target, *, rate: float, seconds: float = 8.0, max_connections: int = 256) -> Open:
    return asyncio.run(_open(target, rate, seconds, max_connections))


async def _open(target: Target, rate: float, seconds: float, max_connections: int) -> Open:
    request = target.request()
    idle: list[_Connection] = []
    opened = 0
    latencies: list[float] = []
    refused = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        nonlocal opened, refused
        try:
            conn = idle.pop() if idle else None
            if conn is None:
                if opened >= max_connections:
                    return  # not sent on time: unanswered
                opened += 1
                conn = await _connect(target.url)
            status = await conn.exchange(request)
            latencies.append(time.perf_counter() - due)
            refused += status >= 400
            idle.append(conn)
        except (OSError, asyncio.IncompleteReadError):
            return

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    for n in range(total):
        due = start + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    for conn in idle:
        conn.writer.close()
    return Open(
        rate, seconds, total, len(latencies), refused, percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.95) * 1000, percentile(latencies, 0.99) * 1000, opened,
    )  # fmt: skip
