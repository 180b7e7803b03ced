"""One owner per data dir, and what an owner killed without warning leaves behind: real processes throughout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from entrypoints.cli.data_dir import DataDir
from entrypoints.cli.embedded_postgres import EmbeddedPostgres
from entrypoints.cli.processes import free_port, process_identity, spawn, stop_child

# An owner in a process of its own: it records a child that does not die with it, says so, and waits to be killed.
OWNER = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    from entrypoints.cli.data_dir import DataDir
    data_dir = DataDir(Path(sys.argv[1]))
    assert data_dir.try_own("dev", embedded_postgres=True) == {}
    sleeper = subprocess.Popen(["sleep", "600"], start_new_session=True)
    data_dir.record(process=("sleeper", sleeper.pid))
    print(sleeper.pid, flush=True)
    time.sleep(600)
    """
)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll a condition; the deadline only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "600"])
    yield process
    stop_child(process)


def test_a_live_owner_keeps_the_data_dir_and_a_killed_one_leaves_it_with_its_orphans(tmp_path: Path) -> None:
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path)], stdout=subprocess.PIPE)
    orphan = 0
    try:
        assert owner.stdout is not None
        orphan = int(owner.stdout.readline())
        assert process_identity(orphan) is not None

        data_dir = DataDir(tmp_path)
        assert data_dir.try_own("users make-admin", embedded_postgres=True) is None, "one owner at a time"
        seen = data_dir.owner()
        assert seen is not None
        assert (seen.pid, seen.command) == (owner.pid, "dev")

        owner.kill()  # SIGKILL: no `finally`, no clean-up of its own
        owner.wait()
        assert process_identity(orphan) is not None, "the scenario: its child outlived it"
        stopped = data_dir.try_own("users make-admin", embedded_postgres=True)
        assert stopped == {"sleeper": orphan}, "the next owner stops what the last one left running"
        assert process_identity(orphan) is None
        data_dir.release()
        assert not data_dir.record_file.exists()
    finally:
        owner.kill()
        owner.wait()
        if orphan and process_identity(orphan) is not None:
            os.kill(orphan, signal.SIGKILL)


def test_a_recorded_pid_that_now_names_another_process_is_left_alone(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    """PIDs are reused: a record names a process by its PID and its start, and a stranger with the PID is spared."""
    data_dir = DataDir(tmp_path)
    data_dir.try_own("dev", embedded_postgres=False)
    data_dir.record(process=("worker", sleeper.pid))
    record = data_dir.record_file.read_text()
    data_dir.release()
    data_dir.record_file.write_text(record.replace(process_identity(sleeper.pid) or "?", "another-boot:42"))

    again = DataDir(tmp_path)
    assert again.try_own("dev", embedded_postgres=False) == {}
    again.release()
    assert sleeper.poll() is None


def test_children_die_with_their_parent(tmp_path: Path) -> None:
    """`spawn` ties a child to its parent (Linux): SIGKILL of the parent, and the child gets SIGTERM."""
    if sys.platform != "linux":
        pytest.skip("PR_SET_PDEATHSIG is Linux's")  # elsewhere the next owner stops them (test above)
    parent_code = textwrap.dedent(
        """
        import sys, time
        from entrypoints.cli.processes import spawn
        child = spawn(["sleep", "600"])
        print(child.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    identity = process_identity(child)
    try:
        assert identity is not None
        assert os.getpgid(child) == child, "in a process group of its own: a Ctrl-C reaches only its parent"
        parent.kill()
        parent.wait()
        wait_for(lambda: process_identity(child) != identity, "the child outlived its parent")
    finally:
        parent.kill()
        parent.wait()
        if process_identity(child) == identity:
            os.kill(child, signal.SIGKILL)


def test_a_postgres_left_running_is_stopped_and_a_stale_pid_file_removed(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    first = EmbeddedPostgres(tmp_path / "pg", free_port(), durable=False)
    first.start()
    try:
        left = first.running_pid()
        assert left is not None
        again = EmbeddedPostgres(tmp_path / "pg", free_port(), durable=False)  # the next run knows nothing of it
        with pytest.raises(RuntimeError, match="already runs"):
            again.start()
        assert again.stop_leftover() == left
        assert process_identity(left) is None
        assert again.running_pid() is None

        # A stale postmaster.pid whose PID is now another program's: that program is spared, the file goes.
        (again.pgdata / "postmaster.pid").write_text(f"{sleeper.pid}\n{again.pgdata}\n")
        assert again.running_pid() is None
        assert again.stop_leftover() is None
        assert sleeper.poll() is None
        again.start()
        assert again.running_pid() is not None
        again.stop()
    finally:
        first.stop()


def test_spawn_keeps_the_childs_pid_through_the_exec() -> None:
    """The PID a parent records is its child's real program (on Linux a shim execs it in place)."""
    if sys.platform != "linux":
        pytest.skip("the shim is Linux's")
    child = spawn(["sleep", "600"])
    try:
        wait_for(
            lambda: Path(f"/proc/{child.pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"sleep"),
            "the child's PID never ran its program",
        )
    finally:
        stop_child(child)
    assert child.returncode == -signal.SIGTERM
