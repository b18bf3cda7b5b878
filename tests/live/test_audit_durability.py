"""Every answered call's audit record is durable before its answer: it survives the server being
killed (SIGKILL, no shutdown) right after the answers arrive."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.live.conftest import Server
from tests.live.helpers import audit_records


@pytest.mark.parametrize("workers", [1, 2])
def test_records_of_answered_calls_survive_a_kill(tmp_path: Path, workers: int) -> None:
    server = Server(tmp_path / "data", workers=workers)
    try:
        kms = server.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        answered: list[str] = []
        first = threading.Event()

        def call(number: int) -> None:
            try:
                reply = kms.encrypt(KeyId=key_id, Plaintext=b"%d" % number)
            except Exception:  # cut off by the kill: no answer, no claim
                return
            answered.append(reply["ResponseMetadata"]["RequestId"])
            first.set()

        with ThreadPoolExecutor(max_workers=16) as pool:
            for number in range(200):
                pool.submit(call, number)
            assert first.wait(30)
            # Right after the first answers, while others are in flight: the server and its workers.
            _kill_tree(server.process.pid)
            server.process.wait()
    finally:
        server.stop()
    assert answered
    for request_id in list(answered):
        assert len(audit_records(server, request_id)) == 1, request_id


def _kill_tree(root: int) -> None:
    """SIGKILL `root` and every process under it, children first."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(child for child, parent in parents.items() if parent == pid)
    for pid in reversed(tree):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
