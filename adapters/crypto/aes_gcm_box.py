from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.crypto.keyring import Keyring
from domain.credentials.credential import SealedSecret
from domain.kernel.errors import SecretUnreadable

NONCE_BYTES = 12


class AesGcmSecretBox:
    """AES-256-GCM with a random 96-bit nonce per seal and the caller's context as associated data.

    Every key of the keyring opens; only the active one seals. Any failure to
    open is one `SecretUnreadable`, raised without the underlying exception.
    """

    def __init__(self, keyring: Keyring) -> None:
        self._active = keyring.active
        self._ciphers = {name: AESGCM(key) for name, key in keyring.keys.items()}

    @property
    def active_key_version(self) -> str:
        return self._active

    def seal(self, plaintext: str, *, context: bytes) -> SealedSecret:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._ciphers[self._active].encrypt(nonce, plaintext.encode(), context)
        return SealedSecret(ciphertext=ciphertext, nonce=nonce, key_version=self._active)

    def open(self, sealed: SealedSecret, *, context: bytes) -> str:
        cipher = self._ciphers.get(sealed.key_version)
        try:
            if cipher is None or len(sealed.nonce) != NONCE_BYTES:
                raise ValueError
            return cipher.decrypt(sealed.nonce, sealed.ciphertext, context).decode()
        except (InvalidTag, ValueError):
            # Not chained: the cause says nothing useful and nothing may leak through it.
            raise SecretUnreadable("a stored secret could not be decrypted") from None
