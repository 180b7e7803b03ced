"""Encryption keyrings for the rotation tests: three random keys, v1 to v3, made once per test run."""

from __future__ import annotations

import base64
import os

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import parse_keyring

KEYS = {name: base64.b64encode(os.urandom(32)).decode() for name in ("v1", "v2", "v3")}


def ring(*names: str) -> str:
    """CASCADE_ENCRYPTION_KEYS of these keys, the first one active."""
    return ",".join(f"{name}:{KEYS[name]}" for name in names)


def box(*names: str) -> AesGcmSecretBox:
    return AesGcmSecretBox(parse_keyring(ring(*names)))
