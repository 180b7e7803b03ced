"""The AES-256-GCM secret box: round trips, and one clean error for every way a secret can go bad."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.crypto.aes_gcm_box import AesGcmSecretBox
from adapters.crypto.keyring import Keyring, parse_keyring
from domain.credentials.credential import SealedSecret, secret_context
from domain.kernel.errors import SecretUnreadable

SECRET = "sk_live_51Hh2cLNotARealKeyButLongEnough"
KEY_V1 = os.urandom(32)
KEY_V2 = os.urandom(32)


def keyring(*names_and_keys: tuple[str, bytes]) -> Keyring:
    return parse_keyring(",".join(f"{name}:{base64.b64encode(key).decode()}" for name, key in names_and_keys))


def box_v1() -> AesGcmSecretBox:
    return AesGcmSecretBox(keyring(("v1", KEY_V1)))


WORKSPACE, CREDENTIAL = uuid4(), uuid4()
CONTEXT = secret_context(WORKSPACE, CREDENTIAL)


def unreadable(box: AesGcmSecretBox, sealed: SealedSecret, context: bytes = CONTEXT) -> SecretUnreadable:
    with pytest.raises(SecretUnreadable) as raised:
        box.open(sealed, context=context)
    error = raised.value
    assert error.code == "INTERNAL"
    assert error.__cause__ is None
    assert error.__suppress_context__, "the underlying exception is not carried along"
    for leak in (SECRET, KEY_V1.hex(), base64.b64encode(KEY_V1).decode()):
        assert leak not in str(error)
        assert leak not in repr(error)
    return error


@given(st.text(min_size=1, max_size=300))
def test_round_trip_of_any_text(plaintext: str) -> None:
    box = box_v1()
    sealed = box.seal(plaintext, context=CONTEXT)
    assert box.open(sealed, context=CONTEXT) == plaintext


def test_sealed_secret_carries_a_96_bit_nonce_and_the_active_key_version() -> None:
    sealed = box_v1().seal(SECRET, context=CONTEXT)
    assert len(sealed.nonce) == 12
    assert sealed.key_version == "v1"
    assert SECRET.encode() not in sealed.ciphertext
    assert len(sealed.ciphertext) == len(SECRET.encode()) + 16  # plaintext plus the GCM tag


def test_two_encryptions_of_the_same_value_differ() -> None:
    box = box_v1()
    first, second = box.seal(SECRET, context=CONTEXT), box.seal(SECRET, context=CONTEXT)
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_tampered_ciphertext_is_unreadable() -> None:
    box = box_v1()
    sealed = box.seal(SECRET, context=CONTEXT)
    for position in (0, len(sealed.ciphertext) // 2, len(sealed.ciphertext) - 1):
        flipped = bytearray(sealed.ciphertext)
        flipped[position] ^= 0x01
        unreadable(box, replace(sealed, ciphertext=bytes(flipped)))
    unreadable(box, replace(sealed, ciphertext=sealed.ciphertext[:-1]))
    unreadable(box, replace(sealed, ciphertext=b""))


def test_tampered_nonce_is_unreadable() -> None:
    box = box_v1()
    sealed = box.seal(SECRET, context=CONTEXT)
    flipped = bytearray(sealed.nonce)
    flipped[0] ^= 0x80
    unreadable(box, replace(sealed, nonce=bytes(flipped)))
    unreadable(box, replace(sealed, nonce=sealed.nonce[:8]))
    unreadable(box, replace(sealed, nonce=b""))


def test_a_ciphertext_moved_to_another_workspace_or_credential_is_unreadable() -> None:
    box = box_v1()
    sealed = box.seal(SECRET, context=CONTEXT)
    unreadable(box, sealed, secret_context(uuid4(), CREDENTIAL))
    unreadable(box, sealed, secret_context(WORKSPACE, uuid4()))
    unreadable(box, sealed, secret_context(CREDENTIAL, WORKSPACE))
    unreadable(box, sealed, b"")


def test_an_unknown_key_version_is_unreadable() -> None:
    box = box_v1()
    sealed = box.seal(SECRET, context=CONTEXT)
    unreadable(box, replace(sealed, key_version="v9"))
    unreadable(AesGcmSecretBox(keyring(("v2", KEY_V2))), sealed)


def test_the_same_name_with_another_key_is_unreadable() -> None:
    sealed = box_v1().seal(SECRET, context=CONTEXT)
    unreadable(AesGcmSecretBox(keyring(("v1", KEY_V2))), sealed)


def test_after_rotation_old_secrets_still_open_and_new_ones_use_the_first_key() -> None:
    old = box_v1().seal(SECRET, context=CONTEXT)
    rotated_box = AesGcmSecretBox(keyring(("v2", KEY_V2), ("v1", KEY_V1)))

    assert rotated_box.active_key_version == "v2"
    assert rotated_box.open(old, context=CONTEXT) == SECRET
    resealed = rotated_box.seal(rotated_box.open(old, context=CONTEXT), context=CONTEXT)
    assert resealed.key_version == "v2"
    assert AesGcmSecretBox(keyring(("v2", KEY_V2))).open(resealed, context=CONTEXT) == SECRET
    unreadable(box_v1(), resealed)


def test_a_keyring_never_shows_its_keys() -> None:
    ring = keyring(("v2", KEY_V2), ("v1", KEY_V1))
    for text in (repr(ring), str(ring)):
        assert "v2" in text
        assert base64.b64encode(KEY_V1).decode() not in text
        assert str(KEY_V1) not in text
