"""Running wrk with replay.lua against one target and reading its result line."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPLAY_SCRIPT = Path(__file__).resolve().parent / "replay.lua"


@dataclass(frozen=True)
class LoadSettings:
    duration: int = 10
    connections: int = 32
    # One wrk thread: on a 2-core machine every core wrk takes is one the server does not get.
    threads: int = 1


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    p90_ms: float = 0.0
    p999_ms: float = 0.0

    @property
    def req_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk, or run `make bench`)")
    return path


def run_wrk(endpoint: str, requests_file: Path, settings: LoadSettings) -> LoadResult:
    command = [
        wrk_path(), f"-t{settings.threads}", f"-c{settings.connections}", f"-d{settings.duration}s",
        "--timeout", "5s", "-s", str(REPLAY_SCRIPT), f"{endpoint}/", "--", str(requests_file),
    ]
    completed = subprocess.run(  # noqa: S603 - our own fixed command line
        command, capture_output=True, text=True, timeout=settings.duration + 60, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            values = json.loads(line.removeprefix("BENCH_RESULT "))
            # Every non-2xx answer and every socket error or timeout is an error.
            errors = sum(values[k] for k in ("non_2xx", "connect", "read", "write", "timeout"))
            return LoadResult(
                requests=values["requests"],
                duration_s=values["duration_us"] / 1e6,
                errors=errors,
                p50_ms=values["p50_us"] / 1000,
                p99_ms=values["p99_us"] / 1000,
                mean_ms=values["mean_us"] / 1000,
                p90_ms=values["p90_us"] / 1000,
                p999_ms=values["p999_us"] / 1000,
            )
    raise RuntimeError(f"wrk gave no result:\n{completed.stdout}\n{completed.stderr}")
