"""The baselines of P4: bare Litestar apps doing only what a route must, served like the API (uvicorn, httptools).

    BASELINE_BODIES=<a JSON file: {path: body}> uvicorn tests.bench.baseline_app:app

- every path of BASELINE_BODIES answers its body, from memory (the edge overhead's baseline);
- with BASELINE_DATABASE_URL, `GET /records/{workspace}` runs the records list's own SQL with psycopg and
  encodes the same JSON with msgspec (the real stack's baseline: no auth, limits, logs or metrics).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from litestar import Litestar, Response, get
from litestar.handlers import HTTPRouteHandler
from psycopg import AsyncConnection
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.records import LIST_RECORDS

BODIES: dict[str, Any] = json.loads(Path(os.environ.get("BASELINE_BODIES") or "/dev/null").read_text() or "{}")
DATABASE_URL = os.environ.get("BASELINE_DATABASE_URL", "")
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
LAST_ID = UUID(int=(1 << 128) - 1)
encoder = msgspec.json.Encoder()
decode = msgspec.json.decode  # the query reads provenance as text; `jsonb` columns are decoded by msgspec too


def _answer(path: str, body: Any) -> HTTPRouteHandler:
    async def handler() -> Any:
        return body

    return get(path)(handler)


pool: AsyncConnectionPool | None = None


@get("/records/{workspace:uuid}")
async def records(workspace: UUID) -> Response[bytes]:
    assert pool is not None
    params = {"ws": workspace, "kind": None, "status": None, "domain": None, "before_ts": NEVER,
              "before_id": LAST_ID, "limit": 51}  # fmt: skip
    async with pool.connection() as conn:
        rows = await (await conn.execute(LIST_RECORDS, params)).fetchall()
    data = [
        {"id": r[0], "kind": r[2], "inputs": r[3], "fields": r[4], "provenance": decode(r[5]), "status": r[6],
         "createdAt": r[7], "updatedAt": r[8]}
        for r in rows[:50]
    ]  # fmt: skip
    return Response(encoder.encode({"success": True, "data": data, "error": None}), media_type="application/json")


async def _msgspec_json(conn: AsyncConnection[Any]) -> None:
    set_json_loads(msgspec.json.decode, conn)


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    global pool
    if DATABASE_URL:
        pool = AsyncConnectionPool(DATABASE_URL, min_size=4, max_size=4, open=False, configure=_msgspec_json)
        await pool.open(wait=True)
    yield
    if pool is not None:
        await pool.close()


app = Litestar(
    [_answer(path, body) for path, body in BODIES.items()] + ([records] if DATABASE_URL else []),
    lifespan=[lifespan],
    logging_config=None,
    openapi_config=None,
)
