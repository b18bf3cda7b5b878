"""Getting a data dir and database ready before any worker starts: migrations, root key, bootstrap, seed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from strongroom.audit.operator import OperatorCall
from strongroom.auth.credentials import CredentialStore
from strongroom.auth.rebinding import rebind_sealed_secrets
from strongroom.barrier import open_barrier
from strongroom.bootstrap import DEFAULT_ACCOUNT_ID, BootstrapResult, bootstrap
from strongroom.bootstrap import create_account as _create_account
from strongroom.clock import Clock
from strongroom.devmode import markers
from strongroom.devmode.developer_account import (
    DEVELOPER_ACCESS_KEY_ID,
    DeveloperStoreError,
    ensure_developer_account,
    refuse_developer_store,
)
from strongroom.devmode.seed_file import Seed, load_seed
from strongroom.devmode.seeding import apply_seed
from strongroom.settings import Settings
from strongroom.store.db import Database


def _ensure_data_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def prepare(settings: Settings, environ: Mapping[str, str] = os.environ) -> BootstrapResult:
    """Migrate, bootstrap the default account and apply the seed; run once, before the workers start.

    Ready (/_strongroom/ready) once this has returned.
    """
    if settings.account_id is not None and not settings.developer_mode:
        raise DeveloperStoreError("--account-id chooses the default account of a --dev server; "
                                  "make more accounts with `strongroom admin create-account`")
    # A broken seed file fails the start before anything is written.
    seed = load_seed(settings.seed_file) if settings.seed_file is not None else None
    _ensure_data_dir(settings.data_dir)
    database = Database(settings.database_url)
    try:
        database.migrate()
        barrier = open_barrier(database, settings.data_dir, settings.root_key_file)
        rebind_sealed_secrets(database, barrier)
        if settings.developer_mode:
            account_id = ensure_developer_account(database, barrier, Clock(), settings.account_id)
            result = BootstrapResult(account_id, DEVELOPER_ACCESS_KEY_ID, None)
        else:
            refuse_developer_store(database)
            result = bootstrap(database, barrier, settings.data_dir, Clock(), environ)
        if seed is not None:
            _apply_seed(settings, seed, result.account_id)
        markers.mark_ready(database)
    finally:
        database.dispose()
    return result


def _apply_seed(settings: Settings, seed: Seed, account_id: str) -> None:
    # Seeding calls the services' handlers, so it needs the whole runtime (services and all).
    from strongroom.runtime import Runtime

    runtime = Runtime.open(settings)
    try:
        apply_seed(runtime, seed, account_id)
    finally:
        runtime.database.dispose()


CLI_USER_AGENT = "strongroom admin create-account"


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
        rebind_sealed_secrets(database, barrier)
        credentials = CredentialStore(database, barrier)
        # Recorded as the HTTP route's calls are; the operator at the console signs nothing.
        operator = OperatorCall(settings.account_id or DEFAULT_ACCOUNT_ID, None, user_agent=CLI_USER_AGENT)
        return _create_account(
            database, credentials, Clock(), account_id=account_id, access_key_id=access_key_id,
            secret_access_key=secret_access_key, audit=operator,
        )
    finally:
        database.dispose()
