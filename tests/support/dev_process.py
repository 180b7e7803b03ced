"""`cascade dev` as a user runs it: a real process tree on a data dir of its own, and what it leaves behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from entrypoints.cli.dev import READY_BANNER
from entrypoints.cli.processes import free_port
from entrypoints.wiring.settings import PROJECT_ROOT
from tests.conftest import TEST_KEYS

CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")
# A bound on failure only: a healthy start ends the wait as soon as the banner is printed.
READY_DEADLINE_SECONDS = 240.0


def base_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
    env.update(CASCADE_PASSWORD_HASH_MEMORY_KIB="1024", CASCADE_LOG_LEVEL="WARNING")
    # explicit keys: a server must not leave a development key in the repository's .cascade/
    env.update(CASCADE_ENCRYPTION_KEYS=TEST_KEYS["encryption_keys"])
    env.update(values)
    return env


def dev_env(data_dir: Path, **values: str) -> dict[str, str]:
    """`cascade dev` on `data_dir`, every port a free one (never the defaults a `make run` may hold)."""
    return base_env(
        CASCADE_DATA_DIR=str(data_dir),
        CASCADE_PORT=str(free_port()),
        CASCADE_EMBEDDED_POSTGRES_PORT=str(free_port()),
        CASCADE_EMBEDDED_TEMPORAL_PORT=str(free_port()),
        CASCADE_SCRAPER_PORT=str(free_port()),
        CASCADE_WORKER_METRICS_PORT=str(free_port()),
        **values,
    )


class Dev:
    """`cascade dev` in a session and process group of its own, as a terminal runs a job; output in a file."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.env = env
        data_dir = Path(env["CASCADE_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir.parent / f"cascade-dev-{time.monotonic_ns()}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [CASCADE, "dev", *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['CASCADE_PORT']}/api/v1"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Until `cascade dev` prints its banner; it must not exit or fail meanwhile."""
        deadline = time.monotonic() + READY_DEADLINE_SECONDS
        while READY_BANNER not in self.output():
            code = self.process.poll()
            assert code is None, f"cascade dev exited with {code} before it was ready:\n{self.output()[-4000:]}"
            assert time.monotonic() < deadline, f"cascade dev never became ready:\n{self.output()[-4000:]}"
            time.sleep(0.1)

    def wait_exit(self, timeout: float = 120.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise

    def interrupt(self) -> int:
        """Ctrl-C in its terminal: SIGINT to its process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.wait_exit()

    def kill_group(self) -> None:
        """A crash: SIGKILL to its whole process group, so nothing in it stops cleanly."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        """However a test ended: nothing of it keeps running (a no-op once it has exited)."""
        if self.process.poll() is None:
            self.interrupt()


def _live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; it only waits to be reaped


def processes_of(data_dir: Path) -> dict[int, str]:
    """Every live process that belongs to a run on `data_dir`: its command line names the directory (PostgreSQL,
    Temporal) or it was started with CASCADE_DATA_DIR set to it (the worker, the scraper, PostgreSQL's children)."""
    marks = (str(data_dir).encode(), f"CASCADE_DATA_DIR={data_dir}\0".encode())
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes() + b"\0"
        except OSError:
            continue
        if (marks[0] in command or marks[1] in environ) and _live(int(entry.name)):
            found[int(entry.name)] = command.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def wait_until(
    condition: Callable[[], bool], what: str, *, timeout: float = 120.0, describe: Callable[[], object] = str
) -> None:
    """Poll a condition; the deadline only bounds a failure, which says what it last saw."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: {describe()}"
        time.sleep(0.1)


PASSWORD = "correct horse battery"


def register(api: str, email: str) -> dict[str, object]:
    answer = httpx.post(f"{api}/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"}, timeout=30)
    assert answer.status_code == 201, answer.text
    data: dict[str, object] = answer.json()["data"]
    return data


def run_cascade(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CASCADE, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
