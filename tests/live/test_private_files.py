"""What the server leaves on disk and prints: the database, its WAL and shared-memory files and the audit
writers' turn files are the owner's alone (0600), also when an older start left them wider; a root
secret the operator chose is never printed back."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from .conftest import SECRET_ACCESS_KEY, Server

STORE_FILES = ("strongroom.db", "strongroom.db-wal", "strongroom.db-shm",
               "strongroom.db-audit-turnstile", "strongroom.db-audit-turn")


def _modes(data_dir: Path) -> dict[str, int]:
    return {name: stat.S_IMODE((data_dir / name).stat().st_mode) for name in STORE_FILES}


def test_the_store_files_are_the_owners_alone(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # an ordinary umask: files are 0644 unless made otherwise
    try:
        data_dir = tmp_path / "data"
        server = Server(data_dir, workers=2)
        try:
            server.client("sts").get_caller_identity()
            server.client("kms").create_key()  # an audited write: the WAL and the writers' turns are in use
            assert _modes(data_dir) == dict.fromkeys(STORE_FILES, 0o600)
        finally:
            server.stop()
        for name in ("strongroom.db", "strongroom.db-audit-turn"):
            (data_dir / name).chmod(0o644)
        server = Server(data_dir, workers=2)
        try:
            server.client("kms").create_key()
            assert _modes(data_dir)["strongroom.db"] == 0o600
            assert _modes(data_dir)["strongroom.db-wal"] == 0o600
        finally:
            server.stop()
    finally:
        os.umask(previous)


def test_a_root_secret_the_operator_chose_is_not_printed(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")  # STRONGROOM_SECRET_ACCESS_KEY chosen, as operators may
    try:
        output = server.output()
        assert SECRET_ACCESS_KEY not in output
        assert 'AWS_SECRET_ACCESS_KEY="$STRONGROOM_SECRET_ACCESS_KEY"' in output
        assert server.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    finally:
        server.stop()
    secret = "operator-chosen-secret-0123456789abcdefgh"
    result = subprocess.run(
        [sys.executable, "-m", "strongroom", "admin", "create-account", "--account-id", "210987654321",
         "--access-key-id", "AKIACHOSENBYOPERATOR", f"--secret-access-key={secret}",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "AKIACHOSENBYOPERATOR" in result.stdout
    assert secret not in result.stdout + result.stderr
    generated = subprocess.run(
        [sys.executable, "-m", "strongroom", "admin", "create-account", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert generated.returncode == 0, generated.stderr
    assert "aws_secret_access_key = " in generated.stdout  # a generated secret is shown, once
