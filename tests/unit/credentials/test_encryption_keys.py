"""CASCADE_ENCRYPTION_KEYS: validated at start-up; production needs it; elsewhere a kept development key."""

from __future__ import annotations

import base64
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.crypto.keyring import load_or_create, parse_keyring
from adapters.telemetry.logging import configure_logging
from entrypoints.http.app import create_app
from entrypoints.wiring.encryption import DEV_KEYS_FILE, resolve_keyring
from entrypoints.wiring.settings import ConfigError, load_settings
from tests.conftest import FAST_HASHING
from tests.support.config import production

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


def test_production_refuses_to_start_without_a_keyring() -> None:
    with pytest.raises(ConfigError, match="CASCADE_ENCRYPTION_KEYS"):
        load_settings(production(CASCADE_ENCRYPTION_KEYS=""))
    with pytest.raises(ConfigError, match="CASCADE_ENCRYPTION_KEYS"):
        load_settings(production(CASCADE_ENCRYPTION_KEYS=""))


def test_production_starts_with_a_keyring_whose_first_key_is_active() -> None:
    settings = load_settings(production(CASCADE_ENCRYPTION_KEYS=f"v2:{KEY_B}, v1:{KEY_A}"))
    ring = resolve_keyring(settings)
    assert ring.active == "v2"
    assert ring.keys == {"v2": b"B" * 32, "v1": b"A" * 32}


@pytest.mark.parametrize(
    "value",
    [
        f"v1:{KEY_A},v1:{KEY_B}",  # names must be unique
        "v1:" + base64.b64encode(b"k" * 16).decode(),  # 16 bytes: AES-128, not 256
        "v1:" + base64.b64encode(b"k" * 33).decode(),
        "v1:not base64 at all!",
        "v1:" + KEY_A[:-4],
        f"v1{KEY_A}",  # no name
        f":{KEY_A}",
        f"v 1:{KEY_A}",
        f"v1:{KEY_A},",
        ",",
    ],
)
def test_a_bad_keyring_fails_start_up_naming_the_variable_and_not_the_keys(value: str) -> None:
    for env in ({"CASCADE_ENCRYPTION_KEYS": value}, production(CASCADE_ENCRYPTION_KEYS=value)):
        with pytest.raises(ConfigError, match="CASCADE_ENCRYPTION_KEYS") as raised:
            load_settings(env)
        for key in (KEY_A, KEY_B, KEY_A[:-4]):
            assert key not in str(raised.value)


def test_explicit_keys_write_nothing_to_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({}, profile="local", data_dir=str(tmp_path), encryption_keys=f"v1:{KEY_A}")
    assert resolve_keyring(settings).keys == {"v1": b"A" * 32}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("profile", ["local", "memory"])
def test_without_keys_a_development_key_is_generated_once_kept_0600_and_announced(
    tmp_path: Path, profile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    settings = load_settings({}, profile=profile, data_dir=str(tmp_path / "data"))

    first = resolve_keyring(settings)
    second = resolve_keyring(settings)

    path = tmp_path / "data" / DEV_KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_keyring(path.read_text().strip()) == first
    assert second == first
    assert len(first.keys[first.active]) == 32
    warnings = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "development_encryption_key" in line
    ]
    assert [(w["level"], w["generated"], w["path"]) for w in warnings] == [
        ("warning", True, str(path)),
        ("warning", False, str(path)),
    ]
    assert "CASCADE_ENCRYPTION_KEYS" in warnings[0]["message"]


def test_a_corrupt_development_key_file_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / DEV_KEYS_FILE).write_text("dev:garbage\n")
    settings = load_settings({}, profile="local", data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match=DEV_KEYS_FILE):
        resolve_keyring(settings)


async def test_the_app_announces_its_development_key_at_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    settings = load_settings({}, profile="memory", data_dir=str(tmp_path), **FAST_HASHING)
    client: Any
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (tmp_path / DEV_KEYS_FILE).exists(), "the key is settled before the first request"
        assert (await client.get("/api/v1/health")).status_code == 200
    assert '"event": "development_encryption_key"' in capsys.readouterr().out
    assert oct(os.stat(tmp_path / DEV_KEYS_FILE).st_mode & 0o777) == "0o600"


def test_processes_starting_together_agree_on_one_development_key(tmp_path: Path) -> None:
    path = tmp_path / DEV_KEYS_FILE
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: load_or_create(path), range(16)))

    assert len({ring.keys[ring.active] for ring, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [DEV_KEYS_FILE], "no drafts are left behind"


def test_a_development_key_file_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / DEV_KEYS_FILE
    ring, _ = load_or_create(path)
    path.chmod(0o644)

    again, created = load_or_create(path)

    assert (again, created) == (ring, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
