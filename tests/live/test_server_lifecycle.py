"""The servers tests start never outlive them: one that does not become ready is stopped with its
workers, and when the test process dies (killed, or ending after a failed test that never stopped
its server) every process of its servers dies too."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from tests.live.conftest import Server
from tests.live.helpers import wait_for

REPO = Path(__file__).resolve().parents[2]


class NeverReady(Server):
    """A server with two workers that serves, but whose readiness check never passes (it asks for a
    route that does not exist); it records the processes it had while serving."""

    ready_timeout = 2.0
    serving: set[tuple[int, int]]

    def _wait_ready(self) -> None:
        health = f"{self.endpoint}/_strongroom/health"
        wait_for(lambda: _answers(health), timeout=60)
        NeverReady.serving = processes_under(self.process.pid)
        self.ready_route = "no-such-route"
        super()._wait_ready()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name: state, ppid, ..., start time at [19]."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def processes_under(root: int) -> set[tuple[int, int]]:
    """`root` and every process descended from it, each as (pid, start time): a pid reused by another
    process later is not mistaken for one of these."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stats[int(entry.name)] = _stat(int(entry.name))
    found, pending = set(), [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            found.add((pid, int(stats[pid][19])))
            pending.extend(child for child, fields in stats.items() if int(fields[1]) == pid)
    return found


def still_running(processes: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of `processes` that still run (a zombie runs nothing)."""
    running = set()
    for pid, started in processes:
        with contextlib.suppress(OSError, IndexError):
            fields = _stat(pid)
            if int(fields[19]) == started and fields[0] != "Z":
                running.add((pid, started))
    return running


def kill_all(processes: set[tuple[int, int]]) -> None:
    """Whatever a failed assertion left running: no test leaves a process behind."""
    for pid, _started in still_running(processes):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_server_that_never_becomes_ready_is_stopped_with_its_workers(tmp_path: Path) -> None:
    NeverReady.serving = set()
    try:
        with pytest.raises(RuntimeError, match="did not become ready"):
            NeverReady(tmp_path / "data", workers=2)
        # The supervisor, its two workers and multiprocessing's resource tracker were running.
        assert len(NeverReady.serving) >= 4, NeverReady.serving
        assert still_running(NeverReady.serving) == set()
    finally:
        kill_all(NeverReady.serving)


# A test run in a pytest process of its own: it starts a two-worker server, writes down the server's
# processes, then either waits to be killed or fails without stopping its server.
INNER_TEST = textwrap.dedent("""
    import json
    import os
    import threading
    from pathlib import Path

    from tests.live.conftest import Server
    from tests.live.test_server_lifecycle import processes_under


    def test_starts_a_server(tmp_path):
        server = Server(tmp_path / "data", workers=2)
        processes = sorted(processes_under(server.process.pid))
        written = Path(os.environ["SERVER_PIDS"] + ".part")
        written.write_text(json.dumps(processes))
        written.replace(os.environ["SERVER_PIDS"])
        if os.environ["ENDING"] == "killed":
            threading.Event().wait()
        raise AssertionError("a failing test that never stops its server")
""")


@pytest.mark.parametrize("ending", ["killed", "failed"])
def test_servers_die_with_the_test_process(tmp_path: Path, ending: str) -> None:
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(INNER_TEST)
    pids_file = tmp_path / "server-pids.json"
    env = dict(os.environ, SERVER_PIDS=str(pids_file), ENDING=ending, PYTHONPATH=str(REPO))
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "--rootdir", str(tmp_path)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    server: set[tuple[int, int]] = set()
    try:
        written = wait_for(lambda: pids_file.exists() and pids_file.read_text(), timeout=120)
        server = {(pid, started) for pid, started in json.loads(written)}
        assert len(server) >= 4, server  # supervisor, two workers, resource tracker
        if ending == "killed":
            inner.send_signal(signal.SIGKILL)  # no teardown, no atexit: only the processes' own ties
        output, _ = inner.communicate(timeout=120)
        if ending == "failed":
            assert inner.returncode == 1, output
        wait_for(lambda: not still_running(server), timeout=30)
    finally:
        inner.kill()
        inner.wait()
        kill_all(server)


def test_a_tests_own_sitecustomize_still_runs_in_every_server_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness's sitecustomize comes first on the server's path; one a test puts there (e.g. to
    block modules) must still run, in the supervisor and in each worker."""
    own = tmp_path / "own-site"
    own.mkdir()
    marks = tmp_path / "marks"
    marks.mkdir()
    (own / "sitecustomize.py").write_text(f"import os\nopen(os.path.join({str(marks)!r}, str(os.getpid())), 'w')\n")
    monkeypatch.setenv("PYTHONPATH", str(own))
    with Server(tmp_path / "data", workers=2) as server:
        processes = {pid for pid, _started in processes_under(server.process.pid)}
        assert len(processes) >= 4, processes  # supervisor, two workers, resource tracker
        assert processes <= {int(mark.name) for mark in marks.iterdir()}
