"""The processes a command starts and stops: free ports, identities that survive PID reuse, children that die
with their parent."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class ServiceError(RuntimeError):
    """A local service that would not start or stop; the message says which and why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    """Whether something listens on host:port already (a server of ours binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_identity(pid: int) -> str | None:
    """The boot and start time of a live process (None: no such process, or a zombie that only waits to be reaped)."""
    if pid <= 0:
        return None
    stat_file = Path(f"/proc/{pid}/stat")
    if sys.platform == "linux":
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        state, started = fields[0], fields[19]  # fields 3 and 22 of proc(5)
        return None if state in ("Z", "X") else f"{_boot_id()}:{started}"
    result = subprocess.run(["ps", "-o", "stat=,lstart=", "-p", str(pid)], capture_output=True, text=True, check=False)
    state, _, started = result.stdout.strip().partition(" ")
    return None if result.returncode != 0 or state.startswith("Z") else started.strip()


def process_command(pid: int) -> list[str]:
    """The command line of a process (empty when it is gone or hidden)."""
    if sys.platform == "linux":
        try:
            return [
                arg for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0") if arg
            ]
        except OSError:
            return []
    result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return result.stdout.split()


def _wait_gone(pid: int, identity: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_identity(pid) == identity:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_process(pid: int, identity: str, *, timeout: float = 10.0) -> bool:
    """SIGTERM the process `pid` if it is still the one of `identity`, SIGKILL it after `timeout`.

    Returns whether there was such a process. Meant for processes that are not our children (orphans of an earlier
    run): our own children are waited for with `Popen.wait`."""
    if process_identity(pid) != identity:
        return False
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
        if _wait_gone(pid, identity, wait):
            return True
    raise ServiceError(f"process {pid} ({' '.join(process_command(pid))}) survived SIGKILL")


# Run by the child between fork and its real program: on Linux the kernel sends SIGTERM to a process whose parent
# dies (PR_SET_PDEATHSIG, kept across execve), so a parent killed with SIGKILL does not leave it running. Had the
# parent died before the prctl, the child has another parent already and gives up.
_DIE_WITH_PARENT = """\
import ctypes, os, signal, sys
if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM) != 0 or os.getppid() != int(sys.argv[1]):
    sys.exit(70)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def spawn(
    command: list[str], *, env: dict[str, str] | None = None, stdout: Any = None, pass_fds: tuple[int, ...] = ()
) -> subprocess.Popen[bytes]:
    """Start a child that dies with this process (Linux) and in a process group of its own.

    Its own group: a Ctrl-C in the terminal reaches only the parent, which then stops its children in order (the
    database last) rather than all of them at once. Only the thread that started it may be its parent's last one
    (a thread that ends counts as the parent dying): start children from the main thread."""
    if sys.platform == "linux":
        command = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]
    return subprocess.Popen(
        command,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout else None,
        process_group=0,
        pass_fds=pass_fds,
    )


def stop_child(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """SIGTERM a child of ours and wait for it, SIGKILL after `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
