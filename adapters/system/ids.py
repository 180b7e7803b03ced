from __future__ import annotations

import os
import time
from uuid import UUID


class Uuid7Generator:
    """Time-ordered UUIDv7 (RFC 9562): new rows land at the right edge of B-tree indexes."""

    def new_id(self) -> UUID:
        millis = time.time_ns() // 1_000_000
        value = (millis & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10))
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        return UUID(int=value)
