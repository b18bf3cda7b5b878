"""First start: the default account 000000000000 and its root access key; and making more accounts.

The root key's credentials come from STRONGROOM_ACCESS_KEY_ID / STRONGROOM_SECRET_ACCESS_KEY when set,
else they are generated. Either way they are written to <data-dir>/credentials (mode 0600, in the
AWS shared credentials format, profile [strongroom]), and the secret is returned only on the start
that created it, so the CLI can show a generated one once (one the operator chose is never shown).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from strongroom.audit.operator import OperatorCall
from strongroom.auth.credentials import (
    ACTIVE,
    CredentialStore,
    validate_access_key_id,
    validate_secret_access_key,
)
from strongroom.auth.principal import root_arn
from strongroom.barrier import Barrier
from strongroom.clock import Clock
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey, Account

DEFAULT_ACCOUNT_ID = "000000000000"
ACCESS_KEY_ID_ENV = "STRONGROOM_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_ENV = "STRONGROOM_SECRET_ACCESS_KEY"  # noqa: S105 (a variable's name, not a secret)
CREDENTIALS_FILE_NAME = "credentials"
CREDENTIALS_PROFILE = "strongroom"

ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")
ROOT_PRINCIPAL_TYPE = "Root"


class BootstrapError(ValueError):
    """An account cannot be created as asked (bad or taken id, bad credentials)."""


class AccountExistsError(BootstrapError):
    """The account id asked for is already taken."""


@dataclass(frozen=True)
class BootstrapResult:
    account_id: str
    access_key_id: str
    # Only on the start that created the key; None afterwards.
    secret_access_key: str | None
    # The operator chose the secret (STRONGROOM_SECRET_ACCESS_KEY): it is never printed back.
    secret_supplied: bool = False


def bootstrap(
    db: Database, barrier: Barrier, data_dir: Path, clock: Clock, environ: Mapping[str, str]
) -> BootstrapResult:
    """Make sure the default account and its root key exist; safe when several nodes start at once."""
    existing = _root_key_id(db, DEFAULT_ACCOUNT_ID)
    if existing is not None:
        return BootstrapResult(DEFAULT_ACCOUNT_ID, existing, None)
    access_key_id, secret_access_key = _credentials_from(environ)
    credentials = CredentialStore(db, barrier)
    try:
        access_key_id, secret_access_key = _create_account_with_root_key(
            db, credentials, clock, DEFAULT_ACCOUNT_ID, access_key_id, secret_access_key
        )
    except (IntegrityError, AccountExistsError):
        # Another node created the default account between our check and our insert: use theirs.
        existing = _root_key_id(db, DEFAULT_ACCOUNT_ID)
        if existing is None:
            raise BootstrapError(f"the account {DEFAULT_ACCOUNT_ID} exists but has no root access key") from None
        return BootstrapResult(DEFAULT_ACCOUNT_ID, existing, None)
    write_credentials_file(Path(data_dir) / CREDENTIALS_FILE_NAME, access_key_id, secret_access_key)
    return BootstrapResult(DEFAULT_ACCOUNT_ID, access_key_id, secret_access_key,
                           secret_supplied=bool(environ.get(SECRET_ACCESS_KEY_ENV)))


def create_account(
    db: Database,
    credentials: CredentialStore,
    clock: Clock,
    account_id: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    audit: OperatorCall | None = None,
) -> tuple[str, str, str]:
    """A new account with its own root access key; returns (account id, access key id, secret).
    With `audit`, the call is recorded in CloudTrail in the transaction that creates the account."""
    if account_id is not None and not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise BootstrapError("an account id must be exactly 12 digits")
    if access_key_id is not None:
        validate_access_key_id(access_key_id)
    if secret_access_key is not None:
        validate_secret_access_key(secret_access_key)
    chosen = account_id or _unused_account_id(db)
    try:
        key_id, secret = _create_account_with_root_key(
            db, credentials, clock, chosen, access_key_id, secret_access_key, audit
        )
    except IntegrityError:
        # Lost a race with another node creating the same account (or key id) at the same time.
        raise AccountExistsError(f"the account {chosen} or the access key id already exists") from None
    return chosen, key_id, secret


def write_credentials_file(path: Path, access_key_id: str, secret_access_key: str) -> None:
    """Write (or replace) an AWS-style shared credentials file, mode 0600 from its first byte."""
    content = (
        f"# Strongroom: the root access key of account {DEFAULT_ACCOUNT_ID}.\n"
        f"[{CREDENTIALS_PROFILE}]\n"
        f"aws_access_key_id = {access_key_id}\n"
        f"aws_secret_access_key = {secret_access_key}\n"
    )
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(staging, path)
    except OSError as exc:
        raise BootstrapError(f"cannot write the credentials file {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)


def _credentials_from(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    access_key_id = environ.get(ACCESS_KEY_ID_ENV) or None
    secret_access_key = environ.get(SECRET_ACCESS_KEY_ENV) or None
    if (access_key_id is None) != (secret_access_key is None):
        raise BootstrapError(f"set both {ACCESS_KEY_ID_ENV} and {SECRET_ACCESS_KEY_ENV}, or neither")
    if access_key_id is not None:
        validate_access_key_id(access_key_id)
    if secret_access_key is not None:
        validate_secret_access_key(secret_access_key)
    return access_key_id, secret_access_key


def _create_account_with_root_key(
    db: Database,
    credentials: CredentialStore,
    clock: Clock,
    account_id: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    audit: OperatorCall | None = None,
) -> tuple[str, str]:
    now = clock.now()
    with db.session(writes=True) as session:
        if session.get(Account, account_id) is not None:
            raise AccountExistsError(f"the account {account_id} already exists")
        session.add(Account(account_id=account_id, created_at=now))
        # The account row first: of two nodes racing, the loser fails here, before anything else.
        session.flush()
        key_id, secret = credentials.create_access_key(
            session,
            account_id=account_id,
            principal_type=ROOT_PRINCIPAL_TYPE,
            principal_arn=root_arn(account_id),
            principal_id=account_id,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            now=now,
        )
        if audit is not None:
            # Never the secret: the record names the account and its new key.
            audit.write(session.connection(), "CreateAccount", now,
                        {"accountId": account_id, "accessKeyId": access_key_id},
                        {"accountId": account_id, "accessKeyId": key_id})
        return key_id, secret


def _root_key_id(db: Database, account_id: str) -> str | None:
    """The account's first root access key, preferring an Active one; None if it has none."""
    with db.session() as session:
        rows = session.execute(
            select(AccessKey.access_key_id, AccessKey.status)
            .where(AccessKey.account_id == account_id, AccessKey.principal_type == ROOT_PRINCIPAL_TYPE)
            .order_by(AccessKey.created_at, AccessKey.access_key_id)
        ).all()
    active = [key_id for key_id, status in rows if status == ACTIVE]
    candidates = active or [key_id for key_id, _ in rows]
    return candidates[0] if candidates else None


def _unused_account_id(db: Database) -> str:
    with db.session() as session:
        for _ in range(100):
            candidate = f"{secrets.randbelow(10**12):012d}"
            if candidate != DEFAULT_ACCOUNT_ID and session.get(Account, candidate) is None:
                return candidate
    raise BootstrapError("no unused account id was found")
