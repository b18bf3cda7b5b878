"""`--scale`: the same requests against Strongroom holding more and more stored work, to show whether
the cost of a request stays flat as keys and audit events grow.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench.load import LoadSettings
from bench.measure import replay
from bench.operations import OPERATIONS, Operation
from bench.report import Row, results_table, table, write_json
from bench.stored_work import add_audit_events, create_keys
from bench.targets import STRONGROOM_1, discard, start

# (keys, audit events) already stored before each measured run.
STEPS = ((10, 1), (1_000, 10_000), (10_000, 100_000))

ENCRYPT = next(op for op in OPERATIONS if op.operation == "Encrypt")
# Encrypt under a different stored key per request, spread over the whole store.
ENCRYPT_ACROSS_KEYS = Operation(
    "KMS Encrypt, across stored keys", "kms", "Encrypt", ENCRYPT.setup,
    lambda f, i: {"KeyId": f["keys"][i * len(f["keys"]) // f["count"]], "Plaintext": os.urandom(64),
                  "EncryptionContext": {"bench": "scale", "request": str(i)}},
)


def run(args: argparse.Namespace, settings: LoadSettings) -> int:
    rows: list[Row] = []
    steps: list[dict[str, Any]] = []
    for keys, events in STEPS:
        label = f"{keys:,} keys, {events:,} events"
        print(f"== {label}", flush=True)
        target = start(STRONGROOM_1)
        try:
            stored_keys = create_keys(target, keys)
            target.stop()
            stored_events = add_audit_events(target.database_path, events)
            target = start(STRONGROOM_1, target.data_dir)
            one_key: dict[str, object] = {"key_id": stored_keys[0]}
            across: dict[str, object] = {"keys": stored_keys, "count": args.requests}
            for operation, fixture in ((ENCRYPT, one_key), (ENCRYPT_ACROSS_KEYS, across)):
                row = replay(target, operation, fixture, args.requests, settings, operation.name)
                rows.append(Row(f"{operation.name} [{label}]", row.target, row.result, row.skipped, row.cpu_us))
                print(f"   {operation.name}: {row.result.req_s if row.result else row.skipped}", flush=True)
            steps.append({"keys": keys, "audit_events": stored_events, "rss_bytes": target.rss_bytes()})
        finally:
            discard(target)
    print()
    print(results_table(rows))
    print()
    print(flatness_table(rows))
    path = write_json("scale", {"settings": vars(args), "steps": steps, "rows": [r.as_dict() for r in rows]})
    print(f"\nwritten to {path}")
    return 0


def flatness_table(rows: list[Row]) -> str:
    """Each step's req/s relative to the smallest store, per operation (1.00 = flat)."""
    first: dict[str, float] = {}
    lines = []
    for row in rows:
        if row.result is None:
            continue
        operation, step = row.operation.split(" [", 1)
        base = first.setdefault(operation, row.result.req_s)
        cost_us = 1e6 / row.result.req_s if row.result.req_s else 0.0
        lines.append([operation, step.rstrip("]"), f"{cost_us:,.0f}", f"{row.result.req_s / base:.2f}"])
    return table(["operation", "stored", "µs/request (1 core)", "req/s vs smallest"], lines)
