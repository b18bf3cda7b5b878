"""`--profile`: where a Strongroom worker spends its time under Encrypt load, sampled by py-spy attached
to the server process (no change to the server), summarised as inclusive and self shares per function.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from bench.load import REPLAY_SCRIPT, LoadSettings, wrk_path
from bench.operations import OPERATIONS, REGION
from bench.report import RESULTS_DIR
from bench.signed_requests import check_all, sign_all, write_for_wrk
from bench.targets import STRONGROOM_1, discard, start

ENCRYPT = next(op for op in OPERATIONS if op.operation == "Encrypt")
SAMPLE_RATE = 250
TOP = 40


def py_spy() -> str:
    beside_python = Path(sys.executable).parent / "py-spy"
    found = str(beside_python) if beside_python.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed (pip install -e '.[bench]')")
    return found


def run(args: argparse.Namespace, settings: LoadSettings) -> int:
    target = start(STRONGROOM_1)
    try:
        fixture = ENCRYPT.setup(target, args.requests)
        key, secret = target.credentials
        params = [ENCRYPT.params(fixture, i) for i in range(args.requests)]
        signed = sign_all(target.endpoint, "kms", "Encrypt", params, key, secret, REGION)
        failures = check_all(target.endpoint, signed)
        if failures:
            print(f"requests fail: {failures[0]}")
            return 1
        with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as scratch:
            requests_file = Path(scratch) / "requests.bin"
            write_for_wrk(signed, requests_file)
            load = subprocess.Popen([  # noqa: S603 - our own fixed command line
                wrk_path(), f"-t{settings.threads}", f"-c{settings.connections}", f"-d{2 * settings.duration + 6}s",
                "-s", str(REPLAY_SCRIPT), f"{target.endpoint}/", "--", str(requests_file),
            ], stdout=subprocess.PIPE, text=True)
            time.sleep(2)  # let the load settle before sampling
            # Twice: every active thread (where wall time goes, waits on SQLite included), then only
            # the thread holding the GIL (the CPU work that limits one worker process).
            active = record(target.process.pid, settings.duration, Path(scratch) / "active.txt", [])
            gil = record(target.process.pid, settings.duration, Path(scratch) / "gil.txt", ["--gil"])
            wrk_output, _ = load.communicate(timeout=2 * settings.duration + 60)
        summary = "\n\n".join([
            "== all active threads ==\n" + summarise(active),
            "== the thread holding the GIL ==\n" + summarise(gil),
        ])
    finally:
        discard(target)
    print(summary)
    print(next((line for line in wrk_output.splitlines() if line.startswith("BENCH_RESULT")), ""))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{datetime.now().astimezone():%Y-%m-%d}-profile.txt"
    path.write_text(summary + "\n")
    print(f"\nwritten to {path}")
    return 0


def record(pid: int, duration: int, output: Path, extra: list[str]) -> str:
    subprocess.run([  # noqa: S603 - our own fixed command line
        py_spy(), "record", "--pid", str(pid), "--duration", str(duration), "--rate", str(SAMPLE_RATE),
        "--format", "raw", "--nolineno", "--threads", *extra, "--output", str(output),
    ], check=True, capture_output=True)
    return output.read_text()


def summarise(stacks: str) -> str:
    """Inclusive and self sample shares per function, and the share of each thread."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in stacks.splitlines():
        if not line.strip():
            continue
        stack, count_text = line.rsplit(" ", 1)
        count = int(count_text)
        thread, *frames = stack.split(";")
        total += count
        threads[thread] += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples at {SAMPLE_RATE} Hz (active threads only)", "", "by thread:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in threads.most_common()]
    lines += ["", "inclusive (time in the function and what it calls):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(TOP)]
    lines += ["", "self (time in the function's own code):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(TOP)]
    return "\n".join(lines)
