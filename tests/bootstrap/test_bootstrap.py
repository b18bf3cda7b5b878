"""First and later starts, the credentials file, and making accounts (also racing nodes on PostgreSQL)."""

from __future__ import annotations

import configparser
import re
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from strongroom.auth.credentials import CredentialError, CredentialStore
from strongroom.barrier import Barrier, open_barrier
from strongroom.bootstrap import (
    AccountExistsError,
    BootstrapError,
    BootstrapResult,
    bootstrap,
    create_account,
)
from strongroom.clock import Clock
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey, Account

ENV = {"STRONGROOM_ACCESS_KEY_ID": "AKIASTRONGROOMTEST01", "STRONGROOM_SECRET_ACCESS_KEY": "test-secret/0123+abc"}


def _credentials_file(data_dir: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(data_dir / "credentials")
    return parser


def _counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Account)), session.scalar(
            select(func.count()).select_from(AccessKey)
        )


def test_first_start_generates_the_root_key_and_second_start_keeps_it(
    database: Database, barrier: Barrier, data_dir: Path
) -> None:
    first = bootstrap(database, barrier, data_dir, Clock(), {})
    assert first.account_id == "000000000000"
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first.access_key_id)
    assert first.secret_access_key is not None and len(first.secret_access_key) == 40

    found = CredentialStore(database, barrier).lookup(first.access_key_id)
    assert found is not None
    principal, secret = found
    assert secret == first.secret_access_key
    assert (principal.type, principal.arn, principal.user_id, principal.account_id) == (
        "Root", "arn:aws:iam::000000000000:root", "000000000000", "000000000000",
    )

    second = bootstrap(database, barrier, data_dir, Clock(), {})
    assert second == BootstrapResult("000000000000", first.access_key_id, None)
    assert _counts(database) == (1, 1)


def test_credentials_file_is_0600_ini_with_the_strongroom_profile(
    database: Database, barrier: Barrier, data_dir: Path
) -> None:
    result = bootstrap(database, barrier, data_dir, Clock(), {})
    path = data_dir / "credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    profile = _credentials_file(data_dir)["strongroom"]
    assert profile["aws_access_key_id"] == result.access_key_id
    assert profile["aws_secret_access_key"] == result.secret_access_key
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".")] == []


def test_credentials_from_the_environment_are_used(database: Database, barrier: Barrier, data_dir: Path) -> None:
    result = bootstrap(database, barrier, data_dir, Clock(), ENV)
    assert result == BootstrapResult("000000000000", ENV["STRONGROOM_ACCESS_KEY_ID"],
                                     ENV["STRONGROOM_SECRET_ACCESS_KEY"], secret_supplied=True)
    found = CredentialStore(database, barrier).lookup(ENV["STRONGROOM_ACCESS_KEY_ID"])
    assert found is not None and found[1] == ENV["STRONGROOM_SECRET_ACCESS_KEY"]
    assert _credentials_file(data_dir)["strongroom"]["aws_secret_access_key"] == ENV["STRONGROOM_SECRET_ACCESS_KEY"]


@pytest.mark.parametrize(
    "environ",
    [
        {"STRONGROOM_ACCESS_KEY_ID": "AKIASTRONGROOMTEST01"},
        {"STRONGROOM_SECRET_ACCESS_KEY": "only-the-secret"},
        {**ENV, "STRONGROOM_ACCESS_KEY_ID": "short"},
        {**ENV, "STRONGROOM_ACCESS_KEY_ID": "AKIA-WITH-DASHES-0001"},
        {**ENV, "STRONGROOM_SECRET_ACCESS_KEY": "x" * 129},
        {**ENV, "STRONGROOM_SECRET_ACCESS_KEY": "new\nline"},
    ],
)
def test_bad_environment_credentials_are_refused_and_nothing_is_created(
    database: Database, barrier: Barrier, data_dir: Path, environ: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match=r"(?i)access.key"):
        bootstrap(database, barrier, data_dir, Clock(), environ)
    assert _counts(database) == (0, 0)
    assert not (data_dir / "credentials").exists()


def test_create_account_makes_an_account_with_its_own_root_key(database: Database, barrier: Barrier) -> None:
    credentials = CredentialStore(database, barrier)
    account_id, key_id, secret = create_account(database, credentials, Clock())
    assert re.fullmatch(r"[0-9]{12}", account_id) and account_id != "000000000000"
    found = credentials.lookup(key_id)
    assert found is not None
    assert found[0].arn == f"arn:aws:iam::{account_id}:root" and found[1] == secret

    given = create_account(database, credentials, Clock(), account_id="111122223333",
                           access_key_id="AKIASECONDACCOUNT001", secret_access_key="second-secret")
    assert given == ("111122223333", "AKIASECONDACCOUNT001", "second-secret")


def test_create_account_refuses_duplicates_and_bad_ids(database: Database, barrier: Barrier) -> None:
    credentials = CredentialStore(database, barrier)
    create_account(database, credentials, Clock(), account_id="111122223333", access_key_id="AKIASECONDACCOUNT001")
    with pytest.raises(AccountExistsError, match="111122223333"):
        create_account(database, credentials, Clock(), account_id="111122223333")
    with pytest.raises(CredentialError, match="already in use"):
        create_account(database, credentials, Clock(), account_id="444455556666",
                       access_key_id="AKIASECONDACCOUNT001")
    for bad in ("12345", "1111222233334", "11112222333a", ""):
        with pytest.raises(BootstrapError, match="12 digits"):
            create_account(database, credentials, Clock(), account_id=bad)
    assert _counts(database) == (1, 1)


def test_bootstrap_after_create_account_still_makes_the_default_account(
    database: Database, barrier: Barrier, data_dir: Path
) -> None:
    create_account(database, CredentialStore(database, barrier), Clock(), account_id="111122223333")
    result = bootstrap(database, barrier, data_dir, Clock(), {})
    assert result.account_id == "000000000000" and result.secret_access_key is not None
    assert _counts(database) == (2, 2)


@pytest.mark.postgres
def test_nodes_bootstrapping_one_postgres_at_once_end_with_one_account_and_key(
    postgres_url: str, tmp_path: Path
) -> None:
    root_key = tmp_path / "root.key"
    nodes = 4
    start = threading.Barrier(nodes)
    results: list[BootstrapResult] = []
    failures: list[BaseException] = []
    databases = [Database(postgres_url) for _ in range(nodes)]

    def start_node(index: int) -> None:
        data_dir = tmp_path / f"node{index}"
        data_dir.mkdir()
        start.wait()
        try:
            databases[index].migrate()
            barrier = open_barrier(databases[index], data_dir, root_key, environ={})
            results.append(bootstrap(databases[index], barrier, data_dir, Clock(), {}))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start_node, args=(index,)) for index in range(nodes)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert _counts(databases[0]) == (1, 1)
        assert len({result.access_key_id for result in results}) == 1
        created = [result for result in results if result.secret_access_key is not None]
        assert len(created) == 1
        barrier = open_barrier(databases[0], tmp_path, root_key, environ={})
        found = CredentialStore(databases[0], barrier).lookup(created[0].access_key_id)
        assert found is not None and found[1] == created[0].secret_access_key
    finally:
        for database in databases:
            database.dispose()
