"""Serve an ASGI app with uvicorn on 127.0.0.1 and a free port, in a background thread.

    with serve(create_app()) as base_url:
        ...  # real HTTP against base_url

The socket is bound before the thread starts (no race for the port), the
block starts once uvicorn accepts connections, and the server is stopped
however the block ends; requests still running get one second to finish.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

STARTUP_SECONDS = 10.0


@contextmanager
def serve(app: Any, *, path: str = "") -> Iterator[str]:
    """Yield the server's base URL (plus `path`), e.g. `http://127.0.0.1:54321/api/v1`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"fake-server-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake server on port {port} did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()
