"""The root key: the one secret outside the store, which seals the barrier's keyring.

`RootKeyHolder` is what the barrier needs from it (wrap and unwrap the encoded keyring), so a holder
that keeps the root key inside an HSM can replace the two here, which hold it in memory:
`FileRootKey` (a 0600 file, made on first start) and `EnvRootKey` (base64 in STRONGROOM_ROOT_KEY).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from strongroom.barrier import format as sealed_format
from strongroom.barrier.errors import BarrierError, RootKeyError

ROOT_KEY_ENV = "STRONGROOM_ROOT_KEY"
ROOT_KEY_BYTES = 32

# The root key seals exactly one value; its term is 0 (data key terms start at 1).
ROOT_TERM = 0
KEYRING_LOCATOR = "barrier/keyring"


class RootKeyHolder(Protocol):
    """Seals and opens the encoded keyring; raises BarrierError when a wrapped keyring does not open."""

    def wrap(self, keyring: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...


class _InMemoryRootKey:
    """A root key held in this process's memory."""

    def __init__(self, key: bytes, source: str) -> None:
        if len(key) != ROOT_KEY_BYTES:
            raise RootKeyError(f"{source} is not a 256-bit root key (it must be exactly {ROOT_KEY_BYTES} bytes)")
        self._key = key
        self.source = source

    def wrap(self, keyring: bytes) -> bytes:
        return sealed_format.seal(self._key, ROOT_TERM, keyring, KEYRING_LOCATOR)

    def unwrap(self, wrapped: bytes) -> bytes:
        if sealed_format.read_term(wrapped) != ROOT_TERM:
            raise BarrierError()
        return sealed_format.open_sealed(self._key, wrapped, KEYRING_LOCATOR)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source})"


class EnvRootKey(_InMemoryRootKey):
    """The root key given as base64 in an environment variable (STRONGROOM_ROOT_KEY)."""

    def __init__(self, environ: Mapping[str, str] = os.environ, name: str = ROOT_KEY_ENV) -> None:
        encoded = environ.get(name)
        if not encoded:
            raise RootKeyError(f"the environment variable {name} is not set")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise RootKeyError(f"the environment variable {name} is not valid base64") from None
        super().__init__(key, f"the environment variable {name}")


class FileRootKey(_InMemoryRootKey):
    """The root key in a file only its owner may read: used if present, generated if not."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            _create_key_file(self.path)
        super().__init__(_read_key_file(self.path), f"the root key file {self.path}")


def _create_key_file(path: Path) -> None:
    """Write a fresh key to `path` atomically: no reader ever sees a partial file, and of two
    processes starting at once exactly one key wins (the other process then reads that one)."""
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        # Mode 0600 from the first instant: the key never exists on disk with wider permissions.
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise RootKeyError(f"cannot create the root key file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(ROOT_KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(staging, path)
        _fsync_directory(path.parent)
    except OSError as exc:
        raise RootKeyError(f"cannot create the root key file {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staging)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_key_file(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RootKeyError(f"cannot read the root key file {path}: {exc.strerror}") from None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise RootKeyError(f"the root key file {path} is not a regular file")
        if status.st_mode & 0o077:
            raise RootKeyError(
                f"the root key file {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(status.st_mode):04o}); make it 0600 (chmod 600) and keep it secret"
            )
        # One byte more than a key, to tell a longer file from a valid one.
        return file.read(ROOT_KEY_BYTES + 1)
