"""The barrier: AES-256-GCM sealing of everything secret at rest, under a root key kept outside the store."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from strongroom.barrier.barrier import Barrier, bound_locator
from strongroom.barrier.errors import BarrierError, RootKeyError, TamperedRecord
from strongroom.barrier.root import ROOT_KEY_ENV, EnvRootKey, FileRootKey, RootKeyHolder
from strongroom.store.db import Database

ROOT_KEY_FILE_NAME = "root.key"

__all__ = [
    "ROOT_KEY_ENV",
    "Barrier",
    "BarrierError",
    "EnvRootKey",
    "FileRootKey",
    "RootKeyError",
    "RootKeyHolder",
    "TamperedRecord",
    "bound_locator",
    "open_barrier",
    "root_key_holder",
]


def root_key_holder(
    data_dir: Path, root_key_file: Path | None = None, environ: Mapping[str, str] = os.environ
) -> RootKeyHolder:
    """The root key to use: an explicit file, else STRONGROOM_ROOT_KEY, else <data-dir>/root.key."""
    if root_key_file is not None:
        return FileRootKey(root_key_file)
    if environ.get(ROOT_KEY_ENV):
        return EnvRootKey(environ)
    return FileRootKey(Path(data_dir) / ROOT_KEY_FILE_NAME)


def open_barrier(
    database: Database, data_dir: Path, root_key_file: Path | None = None, environ: Mapping[str, str] = os.environ
) -> Barrier:
    """The barrier of a migrated database, with its keyring created on first use."""
    return Barrier(database, root_key_holder(data_dir, root_key_file, environ))
