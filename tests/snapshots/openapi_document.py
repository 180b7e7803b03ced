"""The API's OpenAPI document as a freshly started API serves it, to compare with the committed copy beside this file.

Fresh: Litestar draws the example values of error responses from one random sequence per process, so a
document built after others in the same process differs from the one a new process serves.
Regenerate the copy after a deliberate change to the API: `python -m tests.snapshots.openapi_document --write`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.wiring.settings import PROJECT_ROOT
from tests.conftest import test_settings

SNAPSHOT = Path(__file__).with_name("openapi.json")


async def _served_here() -> bytes:
    async with AsyncTestClient(app=create_app(test_settings())) as client:
        response = await client.get("/schema/openapi.json")
        response.raise_for_status()
        return response.content


def served_document(scratch: Path) -> bytes:
    """The document a new API process serves first (built in a process of its own, written to `scratch`)."""
    out = scratch / "openapi.json"
    subprocess.run(
        [sys.executable, "-m", "tests.snapshots.openapi_document", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return out.read_bytes()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if sys.argv[1:] and sys.argv[1] != "--write" else SNAPSHOT
    target.write_bytes(asyncio.run(_served_here()))
