"""Server processes that never outlive the tests or benchmarks that start them.

A server runs in a session of its own: uvicorn's supervisor leads it, its workers and
multiprocessing's resource tracker are in it, and it is stopped as a whole. Every Python process of
it dies with its parent (`server_site/sitecustomize.py`): when the test process dies, however, the
supervisor dies, and with it the rest (Linux; elsewhere the stops below and an `atexit` stop remain).
The parent is the thread that started the server: start servers from the main thread (fixtures and
tests are).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SITE = Path(__file__).resolve().parent / "server_site"
# Started here and not yet stopped: stopped at exit if a test never did.
_running: set[subprocess.Popen[Any]] = set()


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` as a server started here gets it (for anything that must run as the server's processes do)."""
    path = os.pathsep.join(part for part in (str(SITE), env.get("PYTHONPATH", "")) if part)
    return {**env, "PYTHONPATH": path, "STRONGROOM_TEST_PARENT_PID": str(os.getpid())}


def start(command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
          **popen: Any) -> subprocess.Popen[Any]:
    """Start `command` (a server) in a session of its own, tied to this process; `popen` as for Popen."""
    process = subprocess.Popen(command, env=environment(env), cwd=cwd, start_new_session=True, **popen)
    _running.add(process)
    return process


def exited(process: subprocess.Popen[Any]) -> bool:
    """Whether the server's leader has exited. It is not reaped here: until `stop` reaps it, its
    process id (the session's) cannot be reused, so the session can still be killed safely."""
    if process.returncode is not None:
        return True
    if not hasattr(os, "waitid"):  # macOS before Python 3.13
        return process.poll() is not None
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def stop(process: subprocess.Popen[Any], grace: float = 20.0) -> None:
    """Stop the server as an operator does (SIGTERM: uvicorn stops its workers first), then kill what
    is left of its session: everything once `grace` seconds have passed, or a process that outlived
    the leader. Returns once none of its processes is left (Linux; elsewhere once the leader is gone)."""
    if not exited(process):
        os.kill(process.pid, signal.SIGTERM)  # not reaped yet: still this process's id
        deadline = time.monotonic() + grace
        while not exited(process) and time.monotonic() < deadline:
            time.sleep(0.05)
    kill(process)
    process.wait()
    _running.discard(process)
    deadline = time.monotonic() + 10
    while session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL every process of the server at once (no shutdown; uvicorn cannot respawn a worker)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run(command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a server command expected to end by itself (e.g. refusing its options), like
    `subprocess.run(capture_output=True, text=True)`; one that does not end in time is stopped with
    its whole session and raises `subprocess.TimeoutExpired`."""
    process = start(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        stop(process, grace=5)
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


def session_members(session: int) -> list[int]:
    """The processes of the session `session` (a server's leader pid) still running, by /proc (Linux;
    empty elsewhere). Zombies count as gone: they run nothing and hold no socket."""
    if not sys.platform.startswith("linux"):
        return []
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # After the parenthesised command name: state, ppid, pgrp, session.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@atexit.register
def _stop_forgotten() -> None:
    for process in list(_running):
        stop(process, grace=5)
