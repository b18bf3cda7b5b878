"""Getting a data dir and database ready before any worker starts: migrations, root key, bootstrap."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from strongroom.auth.credentials import CredentialStore
from strongroom.barrier import open_barrier
from strongroom.bootstrap import BootstrapResult, bootstrap
from strongroom.bootstrap import create_account as _create_account
from strongroom.clock import Clock
from strongroom.settings import Settings
from strongroom.store.db import Database


def _ensure_data_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def prepare(settings: Settings, environ: Mapping[str, str] = os.environ) -> BootstrapResult:
    """Migrate the store and bootstrap the default account; run once, before the workers start."""
    _ensure_data_dir(settings.data_dir)
    database = Database(settings.database_url)
    try:
        database.migrate()
        barrier = open_barrier(database, settings.data_dir, settings.root_key_file)
        return bootstrap(database, barrier, settings.data_dir, Clock(), environ)
    finally:
        database.dispose()


def create_account(
    settings: Settings,
    *,
    account_id: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> tuple[str, str, str]:
    _ensure_data_dir(settings.data_dir)
    database = Database(settings.database_url)
    try:
        database.migrate()
        barrier = open_barrier(database, settings.data_dir, settings.root_key_file)
        credentials = CredentialStore(database, barrier)
        return _create_account(
            database, credentials, Clock(), account_id=account_id, access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
    finally:
        database.dispose()
