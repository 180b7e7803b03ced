"""Which keyring seals secrets: `CASCADE_ENCRYPTION_KEYS`, or a development key on one machine."""

from __future__ import annotations

from pathlib import Path

import structlog

from adapters.crypto.keyring import Keyring, KeyringError, load_or_create, parse_keyring
from entrypoints.wiring.settings import ConfigError, Settings

DEV_KEYS_FILE = "dev-encryption-keys"

log = structlog.get_logger("cascade.keys")


def resolve_keyring(settings: Settings) -> Keyring:
    """The configured keyring. Without one, production refuses to start; local and memory
    profiles keep a generated key under the data dir (0600) and say so on every start."""
    if settings.encryption_keys:
        return parse_keyring(settings.encryption_keys)
    if settings.profile == "production":
        raise ConfigError("CASCADE_ENCRYPTION_KEYS: is required by the production profile")
    path = Path(settings.data_dir) / DEV_KEYS_FILE
    try:
        keyring, created = load_or_create(path)
    except (KeyringError, OSError) as exc:
        raise ConfigError(f"CASCADE_ENCRYPTION_KEYS is unset and {path} is unusable: {exc}") from None
    log.warning(
        "development_encryption_key",
        path=str(path),
        generated=created,
        message="CASCADE_ENCRYPTION_KEYS is unset: credentials are sealed with a development key kept in this file; "
        "set CASCADE_ENCRYPTION_KEYS (and run `cascade keys rotate`) before storing real secrets",
    )
    return keyring
