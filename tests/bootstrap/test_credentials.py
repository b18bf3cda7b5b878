"""Access keys: creation, lookup, inactive keys, the cache, and secrets never stored in plaintext."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from strongroom.auth.credentials import (
    CredentialError,
    CredentialStore,
    generate_access_key_id,
    generate_secret_access_key,
)
from strongroom.barrier import Barrier
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _create_user_key(store: CredentialStore, database: Database, **given: str) -> tuple[str, str]:
    with database.session() as session:
        return store.create_access_key(
            session, account_id="123456789012", principal_type="IAMUser",
            principal_arn="arn:aws:iam::123456789012:user/alice", principal_id="AIDAEXAMPLEALICE0001",
            user_name="alice", now=NOW, **given,
        )


def _set_status(database: Database, access_key_id: str, status: str) -> None:
    with database.session() as session:
        session.execute(update(AccessKey).where(AccessKey.access_key_id == access_key_id).values(status=status))


def test_generated_ids_and_secrets_have_the_aws_shape() -> None:
    ids = {generate_access_key_id() for _ in range(50)}
    secrets = {generate_secret_access_key() for _ in range(50)}
    assert len(ids) == 50 and len(secrets) == 50
    assert all(re.fullmatch(r"AKIA[A-Z2-7]{16}", key_id) for key_id in ids)
    assert all(re.fullmatch(r"[A-Za-z0-9+/]{40}", secret) for secret in secrets)


def test_lookup_returns_the_principal_and_secret(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    key_id, secret = _create_user_key(store, database)
    found = store.lookup(key_id)
    assert found is not None
    principal, found_secret = found
    assert found_secret == secret
    assert (principal.account_id, principal.arn, principal.user_id, principal.type, principal.user_name) == (
        "123456789012", "arn:aws:iam::123456789012:user/alice", "AIDAEXAMPLEALICE0001", "IAMUser", "alice",
    )
    assert principal.access_key_id == key_id and not principal.is_root


def test_given_credentials_are_kept(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    assert _create_user_key(store, database, access_key_id="AKIAGIVEN0000000001", secret_access_key="s3cr/t+x") == (
        "AKIAGIVEN0000000001", "s3cr/t+x",
    )
    found = CredentialStore(database, barrier).lookup("AKIAGIVEN0000000001")
    assert found is not None and found[1] == "s3cr/t+x"


@pytest.mark.parametrize(
    "given",
    [
        {"access_key_id": "akialowercase00001"},
        {"access_key_id": "AKIASHORT"},
        {"access_key_id": "A" * 129},
        {"secret_access_key": ""},
        {"secret_access_key": "has a space"},
        {"secret_access_key": "x" * 129},
        {"secret_access_key": "tab\there"},
    ],
)
def test_malformed_credentials_are_refused(database: Database, barrier: Barrier, given: dict[str, str]) -> None:
    with pytest.raises(CredentialError) as caught:
        _create_user_key(CredentialStore(database, barrier), database, **given)
    secret = given.get("secret_access_key")
    if secret:
        assert secret not in str(caught.value)


def test_a_key_id_in_use_is_refused(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    key_id, _ = _create_user_key(store, database)
    with pytest.raises(CredentialError, match="already in use"):
        _create_user_key(store, database, access_key_id=key_id)


def test_unknown_and_oversized_keys_are_not_found(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    assert store.lookup("AKIAUNKNOWN000000000") is None
    assert store.lookup("A" * 10_000) is None


def test_inactive_keys_are_not_found(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    key_id, _ = _create_user_key(store, database)
    _set_status(database, key_id, "Inactive")
    assert store.lookup(key_id) is None


def test_forget_drops_the_cached_entry(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier)
    key_id, _ = _create_user_key(store, database)
    assert store.lookup(key_id) is not None
    _set_status(database, key_id, "Inactive")
    # Still cached: the hot path does not go back to the store.
    assert store.lookup(key_id) is not None
    store.forget(key_id)
    assert store.lookup(key_id) is None


def test_cache_entries_expire(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier, cache_ttl=0.0)
    key_id, _ = _create_user_key(store, database)
    assert store.lookup(key_id) is not None
    _set_status(database, key_id, "Inactive")
    assert store.lookup(key_id) is None


def test_cache_is_bounded(database: Database, barrier: Barrier) -> None:
    store = CredentialStore(database, barrier, cache_size=2)
    first, _ = _create_user_key(store, database)
    second, _ = _create_user_key(store, database)
    third, _ = _create_user_key(store, database)
    for key_id in (first, second, third):
        assert store.lookup(key_id) is not None
    for key_id in (first, second, third):
        _set_status(database, key_id, "Inactive")
    # The oldest entry was evicted, so it is read again (and is now inactive); the two newest are cached.
    assert store.lookup(first) is None
    assert store.lookup(second) is not None and store.lookup(third) is not None


def test_secret_is_sealed_to_its_own_record(
    database: Database, barrier: Barrier, caplog: pytest.LogCaptureFixture
) -> None:
    store = CredentialStore(database, barrier, cache_size=0)
    alice, _ = _create_user_key(store, database)
    bob, bob_secret = _create_user_key(store, database)
    # Copying bob's sealed secret into alice's record does not give alice bob's secret.
    with database.session() as session:
        sealed = session.get(AccessKey, bob).sealed_secret
        session.execute(update(AccessKey).where(AccessKey.access_key_id == alice).values(sealed_secret=sealed))
    assert store.lookup(alice) is None
    assert f'tampering: the sealed value of ["access_key/{alice}"' in caplog.text
    assert bob_secret not in caplog.text


ROOT = {"principal_type": "Root", "principal_arn": "arn:aws:iam::123456789012:root", "principal_id": "123456789012",
        "user_name": None}


@pytest.mark.parametrize("change", [
    ROOT,
    {"principal_arn": "arn:aws:iam::123456789012:user/admin", "user_name": "admin"},
    {"principal_id": "AIDAEXAMPLEADMIN0001"},
    {"account_id": "000000000000", "principal_arn": "arn:aws:iam::000000000000:root", "principal_type": "Root",
     "principal_id": "000000000000", "user_name": None},
], ids=["root-of-its-account", "another-user-by-name", "another-user-by-id", "another-account-root"])
def test_a_key_row_moved_to_another_principal_is_refused(
    database: Database, barrier: Barrier, caplog: pytest.LogCaptureFixture, change: dict[str, str | None]
) -> None:
    store = CredentialStore(database, barrier, cache_size=0)
    key_id, secret = _create_user_key(store, database)
    with database.session() as session:
        session.execute(update(AccessKey).where(AccessKey.access_key_id == key_id).values(**change))
    assert store.lookup(key_id) is None
    assert "tampering" in caplog.text and key_id in caplog.text and secret not in caplog.text
    with database.session() as session:
        session.execute(update(AccessKey).where(AccessKey.access_key_id == key_id).values(
            account_id="123456789012", principal_type="IAMUser", principal_arn="arn:aws:iam::123456789012:user/alice",
            principal_id="AIDAEXAMPLEALICE0001", user_name="alice"))
    # Put back as it was sealed, the row opens again: the binding is the record's content, nothing else.
    assert store.lookup(key_id) is not None


def test_the_plaintext_secret_never_reaches_the_database_files(
    database: Database, barrier: Barrier, data_dir: Path
) -> None:
    store = CredentialStore(database, barrier)
    key_id, secret = _create_user_key(store, database, secret_access_key="PLAINTEXT-SECRET-MARKER/0123456789")
    assert store.lookup(key_id) is not None
    files = [path for path in data_dir.iterdir() if path.name.startswith("strongroom.db")]
    assert {path.name for path in files} >= {"strongroom.db", "strongroom.db-wal"}
    stored = b"".join(path.read_bytes() for path in files)
    assert key_id.encode() in stored  # the right files: the key's record is there
    assert secret.encode() not in stored
