"""The servers under test: Strongroom, moto's server and the bare ASGI ceiling, each on a free port
and a fresh data dir, started as a user would start them, with their resident memory readable from /proc.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import server_process

REPO = Path(__file__).resolve().parent.parent

# The bootstrap credentials of every Strongroom started here (read on its first start only).
STRONGROOM_KEY = "AKIASTRONGROOMBENCH1"
STRONGROOM_SECRET = "strongroom-bench-secret/0123456789abcdefgh"  # noqa: S105 - a throwaway bench credential
# moto accepts any credentials.
MOTO_KEY = "AKIAMOTOBENCH0000001"
MOTO_SECRET = "moto-bench-secret"  # noqa: S105 - moto accepts any secret


@dataclass(frozen=True)
class TargetSpec:
    """What to start: `kind` is strongroom, moto, ceiling or ceiling-direct."""

    name: str
    kind: str
    workers: int = 1

    @property
    def is_strongroom(self) -> bool:
        return self.kind == "strongroom"

    @property
    def is_ceiling(self) -> bool:
        """A bare app that stores nothing and answers anything."""
        return self.kind in ("ceiling", "ceiling-direct")


STRONGROOM_1 = TargetSpec("strongroom", "strongroom", 1)
STRONGROOM_2 = TargetSpec("strongroom-w2", "strongroom", 2)
MOTO = TargetSpec("moto", "moto")
CEILING = TargetSpec("ceiling", "ceiling")
CEILING_DIRECT = TargetSpec("ceiling-direct", "ceiling-direct")
ALL_TARGETS = (STRONGROOM_1, STRONGROOM_2, MOTO, CEILING, CEILING_DIRECT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningTarget:
    spec: TargetSpec
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path
    served: frozenset[str] = field(default_factory=frozenset)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> tuple[str, str]:
        if self.spec.is_strongroom:
            return STRONGROOM_KEY, STRONGROOM_SECRET
        return MOTO_KEY, MOTO_SECRET

    @property
    def database_path(self) -> Path:
        return self.data_dir / "strongroom.db"

    def serves(self, service: str) -> bool:
        return service in self.served

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its processes (uvicorn's workers are in its session)."""
        return sum(_rss(pid) for pid in server_process.session_members(self.process.pid))

    def cpu_seconds(self) -> float:
        """User + system CPU time the server's processes have used so far."""
        return sum(_cpu_seconds(pid) for pid in server_process.session_members(self.process.pid))

    def pids(self) -> list[int]:
        return server_process.session_members(self.process.pid)

    def stop(self) -> None:
        """SIGTERM, then whatever of the server's session is left after 20 s (workers included) is killed."""
        server_process.stop(self.process)


def start(spec: TargetSpec, data_dir: Path | None = None) -> RunningTarget:
    """Start `spec` on a free port; a fresh data dir unless one is given (to restart on stored data)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=f"strongroom-bench-{spec.name}-"))
    port = free_port()
    command, env = _command(spec, port, data_dir)
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with log_path.open("ab") as log:
        # A session of its own, tied to this process: stopped as a whole, never left running.
        process = server_process.start(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    target = RunningTarget(spec, process, port, data_dir, log_path)
    try:
        target.served = _wait_ready(target)
    except BaseException:
        target.stop()
        raise
    return target


def discard(target: RunningTarget) -> None:
    target.stop()
    shutil.rmtree(target.data_dir, ignore_errors=True)
    target.log_path.unlink(missing_ok=True)


def _command(spec: TargetSpec, port: int, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    python = sys.executable
    if spec.kind == "strongroom":
        env.update(STRONGROOM_ACCESS_KEY_ID=STRONGROOM_KEY, STRONGROOM_SECRET_ACCESS_KEY=STRONGROOM_SECRET)
        return [python, "-m", "strongroom", "serve", "--port", str(port), "--data-dir", str(data_dir),
                "--workers", str(spec.workers), "--log-level", "warning"], env
    if spec.kind == "moto":
        return [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env
    if spec.is_ceiling:
        # uvicorn as `strongroom serve` runs it (see cli.py): the ceiling with uvicorn's own httptools
        # protocol, the direct one with the protocol `strongroom serve` uses (strongroom.connections).
        http = "httptools" if spec.kind == "ceiling" else "strongroom.connections:GuardedHttpToolsProtocol"
        return [python, "-m", "uvicorn", "bench.ceiling:app", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--loop", "uvloop", "--http", http, "--no-access-log",
                "--no-server-header", "--log-level", "warning"], env
    raise ValueError(f"unknown target kind {spec.kind}")


def _wait_ready(target: RunningTarget) -> frozenset[str]:
    """Wait for the server to answer; return the services it serves."""
    path = "/" if target.spec.is_ceiling else {"strongroom": "/_strongroom/health", "moto": "/moto-api/"}[
        target.spec.kind]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server_process.exited(target.process):
            raise RuntimeError(f"{target.spec.name} exited early:\n{target.log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{target.endpoint}{path}", timeout=2) as reply:  # noqa: S310
                body = reply.read()
                if reply.status == 200:
                    return _services(target.spec, body)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{target.spec.name} did not become ready:\n{target.log_path.read_text()}")


def _services(spec: TargetSpec, health: bytes) -> frozenset[str]:
    if spec.kind == "strongroom":
        import json

        reply: dict[str, Any] = json.loads(health)
        return frozenset(reply["services"])
    # moto serves every service we bench; the ceiling answers anything.
    return frozenset({"kms", "ssm", "secretsmanager", "sts", "iam"})


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5); here after the state (field 3) at index 0.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
