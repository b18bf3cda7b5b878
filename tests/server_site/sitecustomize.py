"""Run at the start of every Python process of a server that the tests (or the benchmarks) start:
`tests.server_process` puts this directory first on the server's PYTHONPATH.

- With STRONGROOM_TEST_PARENT_PID: the process dies with its parent (Linux: `PR_SET_PDEATHSIG`), so
  killing the test process kills the server, which kills its workers and multiprocessing's resource
  tracker. The server itself is the leader of a session of its own and its parent is the test
  process; every other process of it has its parent in that session. One whose parent is already
  gone when it gets here kills itself.
"""

from __future__ import annotations

import os
import signal
import sys

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


if sys.platform.startswith("linux") and os.environ.get("STRONGROOM_TEST_PARENT_PID"):
    _die_with_parent(int(os.environ["STRONGROOM_TEST_PARENT_PID"]))
