"""The SQLite audit writer alone: P processes (as `--workers P`), each with W requests writing records
back to back through its `AuditWriter`, on one database file, for each way the WAL is made durable:

- `full`: SQLite syncs the WAL inside each commit (`synchronous=FULL`, the store's setting), holding
  its write lock through the sync; the writer syncs nothing itself.
- `wal-sync`: the writer as shipped (`_WalSync`): the batch connection commits with
  `synchronous=NORMAL` and the writer syncs the WAL after the write lock is free (`os.fdatasync`
  where the platform has it).
- `wal-sync-no-fdatasync`: the same in interpreters without `os.fdatasync`, as on macOS (the
  fallback: `os.fsync` here, `F_FULLFSYNC` on macOS).

Prints committed records per second and the write latency (from `write` to its return: what a
request waits for its record), and writes `bench/results/<date>-audit-writer-sync.json`.

    .venv/bin/python -m bench.audit_writer --processes 2 --writers 16 --duration 5 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import table, write_json

WAYS = ("full", "wal-sync", "wal-sync-no-fdatasync")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.audit_writer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--writers", type=int, default=16, help="concurrent writes per process")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="each way this many times, the ways alternating")
    parser.add_argument("--ways", default=",".join(WAYS), help="comma-separated subset of " + ", ".join(WAYS))
    parser.add_argument("--child", nargs=4, metavar=("WAY", "DATABASE", "START_AT", "DURATION"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        way, path, start_at, duration = args.child
        print(json.dumps(_child(way, path, float(start_at), float(duration), args.writers, args.processes)))
        return 0
    ways = [way.strip() for way in args.ways.split(",") if way.strip()]
    unknown = sorted(set(ways) - set(WAYS))
    if unknown:
        raise SystemExit(f"bench.audit_writer: unknown way(s) {', '.join(unknown)}; known: {', '.join(WAYS)}")
    runs: list[dict[str, Any]] = []
    for round_number in range(args.rounds):
        for way in ways:
            run = measure(way, args.processes, args.writers, args.duration)
            runs.append({"round": round_number + 1, **run})
            print(f"{way} (round {round_number + 1}): {run['rows_s']:,.0f} rows/s, "
                  f"p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms", flush=True)
    lines = [[run["way"], str(run["round"]), f"{run['rows_s']:,.0f}", f"{run['p50_ms']:.2f}", f"{run['p99_ms']:.2f}"]
             for run in runs]
    print()
    print(table(["way", "round", "rows/s", "p50 ms", "p99 ms"], lines))
    settings = {"processes": args.processes, "writers": args.writers, "duration": args.duration}
    path = write_json("audit-writer-sync", {"settings": settings, "runs": runs})
    print(f"\nwritten to {path}")
    return 0


def measure(way: str, processes: int, writers: int, duration: float) -> dict[str, Any]:
    """One run of `way`: a fresh migrated database, `processes` writers started together."""
    from strongroom.store.db import Database

    with tempfile.TemporaryDirectory(prefix="strongroom-bench-audit-") as scratch:
        path = str(Path(scratch) / "strongroom.db")
        database = Database(f"sqlite:///{path}")
        database.migrate()
        database.dispose()
        start_at = time.time() + 3  # every process set up and waiting by then
        command = [sys.executable, "-m", "bench.audit_writer", "--writers", str(writers),
                   "--processes", str(processes), "--child", way, path, str(start_at), str(duration)]
        children = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own command
                    for _ in range(processes)]
        outputs = [child.communicate(timeout=duration + 120)[0] for child in children]
        if any(child.returncode != 0 for child in children):
            raise RuntimeError(f"a writer process of {way} failed")
    results = [json.loads(output) for output in outputs]
    latencies = sorted(latency for result in results for latency in result["latencies_ms"])
    rows = sum(len(result["latencies_ms"]) for result in results)
    return {
        "way": way,
        "rows": rows,
        "rows_s": rows / duration,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99)],
        "sync": results[0]["sync"],
    }


def _child(way: str, path: str, start_at: float, duration: float, writers: int, processes: int) -> dict[str, Any]:
    if way == "wal-sync-no-fdatasync":
        del os.fdatasync  # the platform without it, before the writer is imported
    from strongroom.audit import writer as writer_module
    from strongroom.store.db import Database

    if way == "full":
        writer_module._WalSync = _SqliteSyncs  # type: ignore[misc]
    database = Database(f"sqlite:///{path}")

    async def run() -> list[float]:
        writer = writer_module.AuditWriter(database, take_turns=processes > 1)
        writer.start()
        await writer.write(_record())  # connected and prepared before the clock starts
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + duration
        latencies: list[float] = []

        async def one_request() -> None:
            while time.monotonic() < deadline:
                began = time.monotonic()
                await writer.write(_record())
                latencies.append((time.monotonic() - began) * 1000)

        await asyncio.gather(*(one_request() for _ in range(writers)))
        await writer.aclose()
        return latencies

    latencies = asyncio.run(run())
    database.dispose()
    sync = "SQLite's own" if way == "full" else writer_module._WalSync.platform_flush().__name__
    return {"latencies_ms": latencies, "sync": sync}


class _SqliteSyncs:
    """`full`: the batch connection keeps the store's synchronous=FULL; the writer syncs nothing."""

    def __init__(self, _database_path: str) -> None:
        pass

    @staticmethod
    def prepare(_connection: Any) -> None:
        pass

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


def _record() -> dict[str, Any]:
    """An Encrypt record as the server writes one (about the same size)."""
    return {
        "eventVersion": "1.11",
        "userIdentity": {"type": "Root", "principalId": "000000000000", "arn": "arn:aws:iam::000000000000:root",
                         "accountId": "000000000000", "accessKeyId": "AKIASTRONGROOMBENCH1"},
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "kms.amazonaws.com",
        "eventName": "Encrypt",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7",
        "requestParameters": {"keyId": "arn:aws:kms:us-east-1:000000000000:key/" + str(uuid.uuid4()),
                              "encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"purpose": "bench"}},
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": True,
        "resources": [{"accountId": "000000000000", "type": "AWS::KMS::Key",
                       "ARN": "arn:aws:kms:us-east-1:000000000000:key/" + str(uuid.uuid4())}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "000000000000",
        "eventCategory": "Management",
    }


if __name__ == "__main__":
    raise SystemExit(main())
