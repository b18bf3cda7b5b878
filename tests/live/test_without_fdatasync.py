"""On platforms without `os.fdatasync` (macOS) the server answers, and each answer waits for its audit
record to be on disk: the real server, in interpreters whose `os` has no fdatasync (taken away
before anything imports it, by `tests/server_site/sitecustomize.py`), as that platform would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import server_process
from tests.live.conftest import Server
from tests.live.helpers import audit_records


def fsyncs(log: Path, synced: str) -> list[float]:
    """When (`time.monotonic()`) each `os.fsync` of the file `synced` by the server's processes ended."""
    if not log.exists():
        return []
    entries = (line.split(" ", 1) for line in log.read_text().splitlines())
    return [float(when) for when, path in entries if path == synced]


@pytest.mark.parametrize(("store", "workers"), [
    ("sqlite", 1), ("sqlite", 2), pytest.param("postgres", 1, marks=pytest.mark.postgres),
])
def test_requests_succeed_and_records_are_durable_without_fdatasync(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, workers: int
) -> None:
    monkeypatch.setenv("STRONGROOM_TEST_WITHOUT_FDATASYNC", "1")
    log = tmp_path / "fsyncs.log"
    monkeypatch.setenv("STRONGROOM_TEST_FSYNC_LOG", str(log))
    # The server's interpreters are such a platform's.
    probe = subprocess.run([sys.executable, "-c", "import os; print(hasattr(os, 'fdatasync'))"],
                           env=server_process.environment(os.environ), capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "False"

    database_url = request.getfixturevalue("postgres_url") if store == "postgres" else None
    server = Server(tmp_path / "data", database_url, workers=workers)
    try:
        kms = server.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        # One at a time: the window between sending each request and its answer.
        windows: list[tuple[str, float, float]] = []
        for number in range(20):
            sent = time.monotonic()
            reply = kms.encrypt(KeyId=key_id, Plaintext=b"%d" % number)
            windows.append((reply["ResponseMetadata"]["RequestId"], sent, time.monotonic()))
        # And many at once, across the workers.
        with ThreadPoolExecutor(max_workers=16) as pool:
            replies = list(pool.map(lambda n: kms.encrypt(KeyId=key_id, Plaintext=b"%d" % n), range(200)))
        answered = [request_id for request_id, _, _ in windows]
        answered += [reply["ResponseMetadata"]["RequestId"] for reply in replies]
        # No shutdown: what was answered must already be stored.
        server_process.kill(server.process)
    finally:
        server.stop()
    for request_id in answered:
        assert len(audit_records(server, request_id)) == 1, request_id
    if store == "sqlite":
        # Each answer came after an fsync of the WAL (SQLite's own syncs do not go through `os`):
        # the record was on disk, not only in the page cache, before the answer left.
        synced = fsyncs(log, str(server.data_dir / "strongroom.db-wal"))
        for request_id, sent, received in windows:
            assert any(sent < when < received for when in synced), request_id
