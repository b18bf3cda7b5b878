"""Fixtures for the KMS cryptography tests: key material made once per session, and the openssl CLI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from strongroom.services.kms.crypto import generate_material


class MaterialCache:
    """Generates each spec's material on first use; RSA 4096 takes long enough to do only once."""

    def __init__(self) -> None:
        self._by_spec: dict[str, bytes] = {}

    def __call__(self, key_spec: str) -> bytes:
        if key_spec not in self._by_spec:
            self._by_spec[key_spec] = generate_material(key_spec)
        return self._by_spec[key_spec]


@pytest.fixture(scope="session")
def material() -> MaterialCache:
    return MaterialCache()


@pytest.fixture
def openssl(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run `openssl` with files written into a temp dir: pass {name: bytes}; args may use those names."""
    binary = shutil.which("openssl")
    if binary is None:
        pytest.fail("the openssl command line tool is needed by these tests")

    def run(args: list[str], files: dict[str, bytes]) -> subprocess.CompletedProcess[bytes]:
        for name, data in files.items():
            (tmp_path / name).write_bytes(data)
        return subprocess.run([binary, *args], cwd=tmp_path, capture_output=True, check=False)

    return run
