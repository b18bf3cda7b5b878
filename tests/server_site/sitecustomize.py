"""Run at the start of every Python process of a server that the tests (or the benchmarks) start:
`tests.server_process` puts this directory first on the server's PYTHONPATH.

- With STRONGROOM_TEST_PARENT_PID: the process dies with its parent (Linux: `PR_SET_PDEATHSIG`), so
  killing the test process kills the server, which kills its workers and multiprocessing's resource
  tracker. The server itself is the leader of a session of its own and its parent is the test
  process; every other process of it has its parent in that session. One whose parent is already
  gone when it gets here kills itself.
- With STRONGROOM_TEST_WITHOUT_FDATASYNC: `os.fdatasync` is gone before anything imports it, as on
  platforms that lack it (macOS).
- With STRONGROOM_TEST_FSYNC_LOG=<file>: each `os.fsync` (the real one) is followed by a line
  "<time.monotonic()> <path synced>" appended to that file.

Then the next `sitecustomize` on the path (a test's own, or the system's) runs as it would have.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent(test_process: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.getppid()
    try:
        leader = os.getpid() == os.getsid(0)
        orphaned = parent != test_process if leader else os.getsid(parent) != os.getsid(0)
    except ProcessLookupError:
        orphaned = True
    if orphaned:
        os.kill(os.getpid(), signal.SIGKILL)


def _run_the_next_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def _log_fsyncs(log_path: str) -> None:
    real_fsync = os.fsync

    def fsync(fd: Any) -> None:
        real_fsync(fd)
        number = fd if isinstance(fd, int) else fd.fileno()
        line = f"{time.monotonic()} {os.readlink(f'/proc/self/fd/{number}')}\n".encode()
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(log, line)
        finally:
            os.close(log)

    os.fsync = fsync


if sys.platform.startswith("linux") and os.environ.get("STRONGROOM_TEST_PARENT_PID"):
    _die_with_parent(int(os.environ["STRONGROOM_TEST_PARENT_PID"]))
if os.environ.get("STRONGROOM_TEST_WITHOUT_FDATASYNC") and hasattr(os, "fdatasync"):
    del os.fdatasync
if os.environ.get("STRONGROOM_TEST_FSYNC_LOG"):
    _log_fsyncs(os.environ["STRONGROOM_TEST_FSYNC_LOG"])
_run_the_next_sitecustomize()
