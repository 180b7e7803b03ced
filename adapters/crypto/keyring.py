"""Encryption keyrings: `v2:<base64 of 32 bytes>,v1:<base64>`, the first key active.

Parsing errors name the key, never its material.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class KeyringError(ValueError):
    pass


@dataclass(slots=True, frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]

    def __repr__(self) -> str:
        return f"Keyring(active={self.active!r}, versions={list(self.keys)!r})"

    def encode(self) -> str:
        return ",".join(f"{name}:{base64.b64encode(key).decode()}" for name, key in self.keys.items())


def parse_keyring(text: str) -> Keyring:
    keys: dict[str, bytes] = {}
    for position, item in enumerate(text.split(","), start=1):
        name, colon, encoded = item.strip().partition(":")
        if not colon or not _NAME.match(name):
            raise KeyringError(f"key {position} must be NAME:BASE64 with a name of 1-32 letters, digits, . _ -")
        if name in keys:
            raise KeyringError(f"key name {name!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"key {name!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise KeyringError(f"key {name!r} must decode to exactly {KEY_BYTES} bytes")
        keys[name] = key
    return Keyring(active=next(iter(keys)), keys=keys)


def new_keyring(name: str = "dev") -> Keyring:
    return Keyring(active=name, keys={name: secrets.token_bytes(KEY_BYTES)})


def load_or_create(path: Path) -> tuple[Keyring, bool]:
    """The keyring kept in `path` (mode 0600), created on first use; True if it was just created.

    The file appears whole or not at all (written aside, then hard-linked into
    place), so two processes starting together agree on one key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        keyring = new_keyring()
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(keyring.encode() + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(draft, path)
            return keyring, True
        except FileExistsError:
            pass  # another process got there first: use its key
        finally:
            draft.unlink(missing_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return parse_keyring(path.read_text().strip()), False
