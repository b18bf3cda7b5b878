"""Serving as operators run it: generated credentials, several workers, several nodes on one PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import server_process

from .conftest import Server


def test_first_start_generates_and_prints_credentials_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = Server(data_dir, bootstrap_credentials=False)
    try:
        match = re.search(r"AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)", first.output())
        assert match, first.output()
        key, secret = match.groups()
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key)
        assert len(secret) == 40
        identity = first.client("sts", key=key, secret=secret).get_caller_identity()
        assert identity["Account"] == "000000000000"
        assert secret in (data_dir / "credentials").read_text()
    finally:
        first.stop()
    second = Server(data_dir, bootstrap_credentials=False)
    try:
        assert secret not in second.output()
        assert key in second.output()
        assert second.client("sts", key=key, secret=secret).get_caller_identity()["Account"] == "000000000000"
    finally:
        second.stop()


def test_two_workers_serve(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", workers=2)
    try:
        sts = server.client("sts")
        with ThreadPoolExecutor(8) as pool:
            accounts = list(pool.map(lambda _: sts.get_caller_identity()["Account"], range(40)))
        assert accounts == ["000000000000"] * 40
    finally:
        server.stop()


def _create_account(database_url: str, root_key: Path, data_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom", "admin", "create-account", "--account-id", "111122223333",
         "--access-key-id", "AKIASECONDACCOUNT001", "--secret-access-key", "second-account-secret-0123456789abcdefgh",
         "--database-url", database_url, "--root-key-file", str(root_key), "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.postgres
def test_two_nodes_on_one_postgres_share_everything(tmp_path: Path, postgres_url: str) -> None:
    root_key = tmp_path / "root.key"
    # Nodes share the database and the root key; each has its own data dir.
    with Server(tmp_path / "a", postgres_url, root_key_file=root_key) as first, \
            Server(tmp_path / "b", postgres_url, root_key_file=root_key) as second:
        output = _create_account(postgres_url, root_key, tmp_path / "admin")
        assert "111122223333" in output
        for node in (first, second):
            assert node.client("sts").get_caller_identity()["Account"] == "000000000000"
            other = node.client("sts", key="AKIASECONDACCOUNT001", secret="second-account-secret-0123456789abcdefgh")
            assert other.get_caller_identity()["Arn"] == "arn:aws:iam::111122223333:root"


def test_create_account_refuses_a_bad_account_id(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom", "admin", "create-account", "--account-id", "12345",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "12" in result.stderr and "Traceback" not in result.stderr


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "strongroom", "--version"], capture_output=True, text=True,
                            check=True)
    assert result.stdout.startswith("strongroom ")


def test_a_root_key_open_to_others_is_refused_cleanly(tmp_path: Path) -> None:
    key = tmp_path / "root.key"
    key.write_bytes(b"\0" * 32)
    key.chmod(0o644)
    result = server_process.run(
        [sys.executable, "-m", "strongroom", "serve", "--data-dir", str(tmp_path / "data"),
         "--root-key-file", str(key), "--port", "1"], env=os.environ,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(key) in result.stderr


def test_a_bad_trusted_proxy_list_is_refused_cleanly(tmp_path: Path) -> None:
    result = server_process.run(
        [sys.executable, "-m", "strongroom", "serve", "--forwarded-allow-ips", "127.0.0.1,proxy.internal",
         "--data-dir", str(tmp_path / "data")], env=os.environ,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("strongroom: --forwarded-allow-ips: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was set up
