"""Environments for `load_settings`."""

from __future__ import annotations

STRONG_SECRET = "s" * 48


def production(**env: str) -> dict[str, str]:
    """A complete production environment, with `env` on top."""
    return {
        "CASCADE_PROFILE": "production",
        "CASCADE_JWT_SECRET": STRONG_SECRET,
        "CASCADE_DATABASE_URL": "postgresql://db/cascade",
        "CASCADE_REDIS_URL": "redis://cache/0",
        "CASCADE_ENCRYPTION_KEYS": "v1:" + "A" * 43 + "=",
        "CASCADE_TEMPORAL_ADDRESS": "temporal:7233",
        **env,
    }
