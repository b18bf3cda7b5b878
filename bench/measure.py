"""One measured operation on one running target: set up, sign now, check every request, replay with wrk."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.load import LoadSettings, run_wrk
from bench.operations import REGION, Operation
from bench.report import Row
from bench.signed_requests import check_all, sign_all, write_for_wrk
from bench.targets import RunningTarget


def measure(target: RunningTarget, operation: Operation, count: int, settings: LoadSettings,
            label: str | None = None) -> Row:
    label = label or operation.name
    name = target.spec.name
    if not target.serves(operation.service):
        return Row(label, name, skipped="not served yet")
    try:
        fixture = operation.setup(None if target.spec.is_ceiling else target, count)
    except Exception as error:
        return Row(label, name, skipped=f"setup failed: {error}")
    return replay(target, operation, fixture, count, settings, label)


def replay(target: RunningTarget, operation: Operation, fixture: dict[str, object], count: int,
           settings: LoadSettings, label: str) -> Row:
    key, secret = target.credentials
    # Signed just before the run: each signature is valid within the target's clock-skew window.
    params = [operation.params(fixture, i) for i in range(count)]
    signed = sign_all(target.endpoint, operation.service, operation.operation, params, key, secret, REGION)
    failures = check_all(target.endpoint, signed)
    if failures:
        return Row(label, target.spec.name, skipped=f"{len(failures)}/{count} requests failed: {failures[0]}")
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as scratch:
        requests_file = Path(scratch) / "requests.bin"
        write_for_wrk(signed, requests_file)
        cpu_before = target.cpu_seconds()
        result = run_wrk(target.endpoint, requests_file, settings)
        cpu = target.cpu_seconds() - cpu_before
    answered = result.requests - result.errors
    return Row(label, target.spec.name, result, cpu_us=cpu / answered * 1e6 if answered > 0 else None)
